/*
 * The voice agent's webhook (/agent), which fn_main routes to in every
 * gitdial-* binary: HMAC-checked analysis events into the spool.
 */
#ifndef GD_AGENT_H
#define GD_AGENT_H

struct web_request;
struct web_reply;

void agent_webhook(const struct web_request *req, struct web_reply *rep);

#endif
