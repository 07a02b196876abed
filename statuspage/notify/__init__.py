"""What people are sent: signed links (tokens), emails (emails, smtp) and on-call alerts (oncall_alerts)."""
