// A webhook receiver as a Node subscriber writes one, verifying with the npm package
// `standardwebhooks` (pinned in package.json). Prints {"port"} when listening, reads the
// subscriber's whsec_ secret from stdin and prints {"ready"}, then one JSON line per request:
// {"ok": true, "id", "body"} or {"ok": false, "error"}. Answers 204, or 400 when it fails.
const http = require("http");
const readline = require("readline");
const { Webhook } = require("standardwebhooks");

let webhook = null;
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  webhook = new Webhook(line.trim());
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
});

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let result;
    try {
      result = { ok: true, id: request.headers["webhook-id"], body: webhook.verify(body, request.headers) };
    } catch (error) {
      result = { ok: false, error: String(error) };
    }
    process.stdout.write(JSON.stringify(result) + "\n");
    response.writeHead(result.ok ? 204 : 400);
    response.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
