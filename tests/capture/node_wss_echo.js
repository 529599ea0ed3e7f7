// A wss:// echo server and a client, both Node `ws`, in one process on 127.0.0.1, for the
// key log tests (tests/capture/test_keylog_node.py).  The client writes the key log through
// its https.Agent's 'keylog' event, or the whole process through `node --tls-keylog=FILE`.
//
// usage: node node_wss_echo.js CONFIG.json   (port, cert, key, keylog|null, maxVersion,
// ciphers|null, deflate, messages: [{text}|{binary: hex}], serverOnly, maxSendFragment)
// Prints one JSON line: {"echoed": [...same shape...], "version": ..., "cipher": ...}; with
// serverOnly, "listening" once it is, and it ends after one connection has closed.
"use strict";
const fs = require("fs");
const https = require("https");
const path = require("path");
const ws = require(path.join(process.env.WSDEBUG_NODE_WS, "node_modules", "ws"));

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cert = fs.readFileSync(cfg.cert);
const server = https.createServer({ cert, key: fs.readFileSync(cfg.key) });
if (cfg.maxSendFragment) {
  // the first key log line comes before the encrypted handshake flight is written
  server.on("keylog", (line, tlsSocket) => tlsSocket.setMaxSendFragment(cfg.maxSendFragment));
}
const wss = new ws.WebSocketServer({ server, perMessageDeflate: cfg.deflate });
wss.on("connection", (sock) => {
  sock.on("message", (data, isBinary) => sock.send(data, { binary: isBinary }));
  if (cfg.serverOnly) sock.on("close", () => server.close());
});

const fail = (why) => {
  console.error(String(why));
  process.exit(1);
};
setTimeout(() => fail("timed out"), 10000).unref();

server.listen(cfg.port, "127.0.0.1", () => {
  if (cfg.serverOnly) return console.log("listening"); // another client connects (once)
  const agent = new https.Agent({
    ca: cert,
    maxVersion: cfg.maxVersion,
    ciphers: cfg.ciphers || undefined,
  });
  if (cfg.keylog) agent.on("keylog", (line) => fs.appendFileSync(cfg.keylog, line));
  const client = new ws.WebSocket(`wss://127.0.0.1:${cfg.port}/node`, {
    agent,
    perMessageDeflate: cfg.deflate,
  });
  const echoed = [];
  let tlsInfo = {};
  const next = () => {
    const m = cfg.messages[echoed.length];
    if (m === undefined) return client.close(1000, "done");
    client.send(m.text !== undefined ? m.text : Buffer.from(m.binary, "hex"));
  };
  client.on("open", () => {
    const s = client._socket;
    tlsInfo = { version: s.getProtocol(), cipher: s.getCipher().standardName };
    next();
  });
  client.on("message", (data, isBinary) => {
    echoed.push(isBinary ? { binary: data.toString("hex") } : { text: data.toString("utf8") });
    next();
  });
  client.on("error", fail);
  client.on("close", () => {
    console.log(JSON.stringify({ echoed, ...tlsInfo }));
    wss.close();
    server.close();
  });
});
