#!/usr/bin/env node
// Makes one request with a provider's official SDK against a capture
// server (the fake provider on 127.0.0.1), for the interop tests:
//   sdk.js twilio-create BASE SID TOKEN PARAMS_JSON
//   sdk.js twilio-list   BASE SID TOKEN PARAMS_JSON
//   sdk.js twilio-update BASE SID TOKEN CALL_SID PARAMS_JSON
//   sdk.js telnyx-dial   BASE API_KEY PARAMS_JSON
//   sdk.js telnyx-action BASE API_KEY ACTION CALL_ID PARAMS_JSON|-
//   sdk.js telnyx-active BASE API_KEY CONNECTION_ID PARAMS_JSON
// PARAMS_JSON is what the SDK method takes. Prints the SDK's answer (or
// error) as JSON; the request itself is what the test reads from the
// capture server. Nothing leaves 127.0.0.1.
"use strict";

async function main(argv) {
  const [op, base] = argv;
  if (!/^http:\/\/127\.0\.0\.1:[0-9]+$/.test(base || ""))
    throw new Error("BASE must be http://127.0.0.1:PORT");
  if (op.startsWith("twilio-")) {
    const twilio = require("twilio");
    const [, , sid, token] = argv;
    const client = twilio(sid, token, { autoRetry: false });
    client.api.baseUrl = base;
    if (op === "twilio-create") {
      const p = JSON.parse(argv[4]);
      const c = await client.calls.create(p);
      return { sid: c.sid };
    }
    if (op === "twilio-list") {
      // a date string passes through as given (see docs/providers.md)
      const p = JSON.parse(argv[4]);
      const page = await client.calls.page(p);
      return { n: page.instances.length };
    }
    if (op === "twilio-update") {
      const c = await client.calls(argv[4]).update(JSON.parse(argv[5]));
      return { status: c.status };
    }
  } else if (op.startsWith("telnyx-")) {
    const Telnyx = require("telnyx");
    const client = new Telnyx({ apiKey: argv[2], baseURL: base + "/v2",
                                maxRetries: 0 });
    if (op === "telnyx-dial") {
      const r = await client.calls.dial(JSON.parse(argv[3]));
      return { call_control_id: r.data.call_control_id };
    }
    if (op === "telnyx-active") {
      // one page of the connection's live calls
      const page = await client.connections.listActiveCalls(argv[3], JSON.parse(argv[4]));
      return { n: page.data.length };
    }
    if (op === "telnyx-action") {
      const action = { hangup: "hangup", speak: "speak",
                       streaming_start: "startStreaming",
                       client_state_update: "updateClientState" }[argv[3]];
      const body = argv[5] === "-" ? undefined : JSON.parse(argv[5]);
      const r = await client.calls.actions[action](argv[4], body);
      return r;
    }
  }
  throw new Error("unknown op " + op);
}

main(process.argv.slice(2)).then(
  (r) => { process.stdout.write(JSON.stringify(r) + "\n"); },
  (e) => { process.stdout.write(JSON.stringify({ error: String(e.message || e),
                                                status: e.status }) + "\n");
           process.exitCode = 1; });
