// Reads a page through the npm client `statuspage.io` (pinned in package.json), pointed at
// this site with its setApiUrl(); prints every answer as one JSON document.
// Usage: node statuspage_io_reader.js <base URL>
const { Statuspage } = require("statuspage.io");

(async () => {
  const client = new Statuspage("not-used-the-base-url-is-set");
  client.setApiUrl(process.argv[2]);
  const api = client.api;
  const out = {
    summary: await api.getSummary(),
    status: await api.getStatus(),
    components: await api.getComponents(),
    incidents: await api.incidents.getAll(),
    unresolved: await api.incidents.getUnresolved(),
    maintenances: await api.scheduledMaintenances.getAll(),
    upcoming: await api.scheduledMaintenances.getUpcoming(),
    active: await api.scheduledMaintenances.getActive(),
  };
  process.stdout.write(JSON.stringify(out));
})().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
