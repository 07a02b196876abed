"""Verifiable statements (issue 18): what lets a citizen, a newsroom or a mirror check that
a message or a file really comes from this page.

- `codes`: the short verification code of a statement (read aloud, typed on a phone);
- `keys`: the Ed25519 signing key (a file or the environment, never the database) and the
  retired keys still published, as a JWK Set;
- `signing`: RFC 8785 canonical JSON, signing and checking a statement;
- `register` and `matching`: what /verify looks a code or a pasted text up in;
- `manifest`: the signed list of file hashes of a static export.
"""
