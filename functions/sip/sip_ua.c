/*
 * The detached process that holds one call's two dialogs, on libre's SIP
 * stack (transactions, dialogs, transports, DNS):
 *
 *   recipient (trunk)            gitdial-sip                 agent
 *   INVITE (no SDP)      <------
 *   1xx ... 200 (offer)  ------>
 *                                ------>  INVITE (offer)
 *                                <------  200 (answer)
 *                                ------>  ACK
 *   ACK (answer)         <------
 *   ... media flows directly between the recipient and the agent ...
 *   BYE from either side: 200, and BYE to the other.
 *
 * RFC 3725 flow I. The recipient's 2xx is ACKed only once the agent has
 * answered (its retransmissions are held until then); if the agent
 * refuses, the recipient's offer is declined in the ACK (RFC 3264 port 0)
 * and the recipient leg is ended with a BYE.
 *
 * Digest authentication is ours (sip_logic.c): libre 1.1.0's sip_auth
 * answers MD5 only and gives up on any other algorithm.
 *
 * Beyond that flow (docs/sip.md has the whole list): a trunk that never
 * answers is trunk_unreachable (Timer B, or ICMP read on a probe
 * socket); timers libre lacks (after a CANCEL, the agent's answer after
 * the recipient's, the session's refresh and expiry, a last deadline);
 * in-dialog requests (refreshes answered here, changed offers relayed
 * to the other leg, strays 481); PRACK of reliable 1xx, early media's
 * offer answered in it (then a re-INVITE for the agent's offer); every
 * 2xx ACKed; TLS verified on the OpenSSL context libre uses; messages
 * over 8 KB read over UDP, the agent's large INVITE sent over TCP.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <re.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "hook.h"
#include "sip.h"
#include "util.h"
#include "banned.h"

#define LINGER_MS 6000   /* after the outcome, the most we wait for legs to end */
#define CHALL_MAX 8      /* challenge headers read from one response */
#define CHALL_KEEP 3     /* challengers answered at once (proxy, registrar) */
#define AUTH_TRIES 4     /* challenges answered per request, stale included */
#define PROBE_MS 1000    /* no response yet: probe the trunk for ICMP errors */
#define TXN_MS 32000     /* 64*T1: how long a transaction may take (RFC 3261) */
#define BRIDGE_MS 10000  /* the recipient answered: the agent must, in this */
/* a keepalive interval past any call's life (and below libre's 32-bit
 * arithmetic): we want its failure report, never its ping */
#define KA_NEVER_S 4000000
#define TCP_MSG_MAX 65536 /* libre's cap on a message read over TCP/TLS */
#define UDP_REQ_MAX 1300  /* RFC 3261 §18.1.1: a larger request goes TCP */

struct call;

struct leg {
	struct call *call;
	const char *name;            /* "recipient", "agent" */
	struct sip_dialog *dlg;
	struct sip_dialog *tmpl;     /* dlg before any response: forks of it */
	struct sip_request *req;     /* the INVITE while it is pending */
	struct sip_request *bye;
	struct mbuf *ack_mb;         /* the ACK of our 2xx, for retransmits */
	struct sa ack_dst;
	enum sip_transp ack_tp;
	struct sip_chall chall[CHALL_KEEP]; /* one per challenger (realm) */
	unsigned nc[CHALL_KEEP];     /* uses of each one's nonce */
	int nchall, auth_tries;
	char auth[CHALL_KEEP * 640]; /* the credentials lines of the INVITE */
	char hdrs[1024];             /* extra INVITE headers */
	char uri[SIP_URI_MAX + 64];  /* the request URI (digest uri) */
	int sent, provisional, answered, acked, canceled, ended, bye_sent;
	uint32_t inv_cseq;           /* the CSeq our ACK of the 2xx takes */
	uint32_t ans_cseq;           /* the 2xx whose ACK carries the answer */
	uint32_t ack_cseq;           /* the CSeq of ack_mb */
	int early_oa;                /* offer/answer done in a reliable 1xx */
	int reoffer;                 /* mid is our offerless re-INVITE */
	uint32_t mid_cseq;           /* the CSeq of mid */
	uint32_t rseq;               /* the last reliable 1xx PRACKed */
	struct mbuf *sdp;            /* the peer's last SDP on this leg */
	int peer_update;             /* the peer's Allow lists UPDATE */
	unsigned se_s;               /* session interval (RFC 4028), 0: none */
	struct tmr se_tmr;           /* our refresh, when we are the refresher */
	struct tmr se_exp;           /* the peer's refresh is due by then */
	struct sip_request *mid;     /* our refresh or relayed re-offer */
	int mid_relay;               /* mid relays the other leg's offer */
	struct sip_strans *st;       /* the peer's re-offer waiting for mid */
	struct sip_msg *st_msg;
	struct mbuf *ok_mb;          /* our 2xx to a re-INVITE, until its ACK */
	struct sa ok_dst;
	enum sip_transp ok_tp;
	uint32_t ok_cseq;
	unsigned ok_txc;
	struct tmr ok_tmr;
};

struct call {
	const struct sip_plan *p;
	struct sip *sip;
	struct dnsc *dnsc;
	struct tls *tls;
	struct sip_lsnr *lreq, *lresp;
	struct leg rcp, agt;
	struct tmr ring, maxt, linger, probe;
	struct tmr cancel_guard;     /* CANCEL sent: the 487 must come (Timer C) */
	struct tmr bridge;           /* the recipient answered: the agent must */
	struct tmr doom;             /* the process never outlives this */
	uint64_t t0, t_answer;
	int report_fd, ctl_fd, probe_fd;
	int responded;               /* the trunk sent anything for our INVITE */
	struct sa pub;               /* us as the trunk sees us (Via received) */
	int pub_seen;
	uint64_t doom_ms;            /* the doom timer, from the start */
	struct sa inv_dst;           /* where the recipient's INVITE went */
	enum sip_transp inv_tp;
	char sip_reason[200];        /* the Reason header that ended the call */
	long retry_after;            /* a 503's Retry-After, seconds, 0: none */
	int decided, bridged, finished, hangup;
	int in_invite;               /* inside the first, synchronous send */
	char callid[80];
	char json_path[4300];
	const char *state;
	cJSON *outcome;              /* the outcome fields, once decided */
	struct mbuf *offer;          /* the recipient's offer, held for the agent */
	struct sip_msg *rcp_ok;      /* the recipient's 2xx, until bridged */
	char route[SIP_URI_MAX + 32];/* the Route of the trunk leg, "" = none */
	char raw_bye_tag[128];       /* the last dialog rcp_end_raw ended */
	char prime_callid[96];       /* rx_prime's message to ourselves */
	struct sip_keepalive *ka;    /* tells us the trunk's TCP/TLS closed */
	int agt_tcp;                 /* the agent's INVITE went TCP for its size */
};

static int sig_pipe[2] = { -1, -1 }; /* SIGTERM/SIGINT -> the loop */
/* The name the trunk's certificate must carry (also sent as SNI). */
static char tls_name[SIP_HOST_MAX];
/* Why we refused the trunk's certificate (an X509_V_ERR_*), 0 = we did not. */
static long tls_refused;

/* What our INVITEs say we support and allow (RFC 3261 §20, RFC 4028). */
#define UA_ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n"
#define UA_CAPS UA_ALLOW "Supported: timer\r\n"
/*
 * The trunk's INVITE also says 100rel (RFC 3262): its reliable 1xx are
 * PRACKed (leg_prack). Not towards the agent, nor in re-INVITEs: their
 * 1xx are not PRACKed.
 */
#define UA_CAPS_TRUNK UA_ALLOW "Supported: timer, 100rel\r\n"

static void check_done(struct call *c);
static void wind_down(struct call *c);
static void sdp_keep(struct mbuf **kept, const uint8_t *sdp, size_t len);
static int leg_encrypted(const struct leg *l);
static void leg_bye(struct leg *l);
static void rcp_end_raw(struct call *c, const struct sip_msg *msg);
static void leg_session(struct leg *l, const struct sip_msg *msg);
static void leg_gone(struct leg *l, int scode);
static int leg_mid(struct leg *l, const char *method, const struct mbuf *sdp);

/* Whole seconds since a tmr_jiffies() reading (a monotonic clock). */
static long elapsed_s(uint64_t since)
{
	return (long)((tmr_jiffies() - since) / 1000);
}

/* Seconds since the recipient answered, 0 before. */
static long answered_s(const struct call *c)
{
	return c->rcp.answered ? elapsed_s(c->t_answer) : 0;
}

/* "ok <call-id>" or "err <kind> <code> <message>" to the dial process. */
static void report(struct call *c, const char *kind, const char *code,
		   const char *msg)
{
	char line[600];
	int n;

	if (c->report_fd < 0)
		return;
	if (!kind)
		n = snprintf(line, sizeof(line), "ok %s\n", c->callid);
	else
		n = snprintf(line, sizeof(line), "err %s %s %s\n", kind, code, msg);
	if (n > 0 && write(c->report_fd, line, (size_t)n) < 0)
		fprintf(stderr, "gitdial-sip: report: %s\n", strerror(errno));
	close(c->report_fd);
	c->report_fd = -1;
}

/*
 * Replaces <call-id>.json beside the spool (atomically): what status
 * answers, and the process id the tests wait on.
 */
static void state_write(struct call *c, const char *state)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	c->state = state;
	cJSON_AddStringToObject(o, "call_id", c->callid);
	cJSON_AddStringToObject(o, "attempt_id", c->p->attempt_id);
	cJSON_AddStringToObject(o, "campaign", c->p->campaign);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "state", state);
	/* on the request's clock: status calls a live process past it lost */
	cJSON_AddNumberToObject(o, "ends_by", (double)(c->p->now +
		(time_t)(c->doom_ms / 1000) + LINGER_MS / 1000 + 1));
	if (c->outcome)
		cJSON_AddItemToObject(o, "outcome", cJSON_Duplicate(c->outcome, 1));
	if ((s = cJSON_PrintUnformatted(o))) {
		if (file_write_atomic(c->json_path, s, strlen(s)))
			fprintf(stderr, "gitdial-sip: %s\n", gd_error_last());
		cJSON_free(s);
	}
	cJSON_Delete(o);
}

/*
 * Records how the call ended (the first decision stands), spools the
 * §5 outcome event and winds the legs down.
 */
static void decide_hint(struct call *c, const char *outcome, long duration,
			int connected, int sip_code, const char *reason,
			const char *kind, const char *code, const char *msg,
			const char *hint)
{
	time_t ts = c->p->now + elapsed_s(c->t0);
	cJSON *ev;
	char t[21];

	if (c->decided)
		return;
	c->decided = 1;
	tmr_cancel(&c->ring);
	tmr_cancel(&c->maxt);
	tmr_cancel(&c->probe);
	tmr_cancel(&c->bridge);
	tmr_cancel(&c->cancel_guard);
	ev = hook_event("outcome", ts, c->p->campaign, c->p->attempt_id,
			c->callid);
	hook_outcome(ev, outcome, duration, connected, NULL, sip_code, reason);
	/* answered: the recipient talked to the agent, not to silence */
	cJSON_ReplaceItemInObjectCaseSensitive(ev, "answered", cJSON_CreateBool(
		c->bridged && connected && duration >= 30));
	if (c->sip_reason[0])
		cJSON_AddStringToObject(ev, "sip_reason", c->sip_reason);
	if (kind) {
		cJSON *e = cJSON_AddObjectToObject(ev, "error");
		cJSON_AddStringToObject(e, "kind", kind);
		cJSON_AddStringToObject(e, "code", code ? code : "");
		cJSON_AddStringToObject(e, "message", msg ? msg : "");
		if (hint)
			cJSON_AddStringToObject(e, "hint", hint);
		if (c->retry_after > 0)
			cJSON_AddNumberToObject(e, "retry_after_s",
						(double)c->retry_after);
	}
	if (fn_spool(ev))
		fprintf(stderr, "gitdial-sip: cannot spool the outcome: %s\n",
			gd_error_last());
	c->outcome = cJSON_Duplicate(ev, 1);
	time_format_utc(t, ts);
	cJSON_ReplaceItemInObjectCaseSensitive(c->outcome, "ts",
					       cJSON_CreateString(t));
	cJSON_Delete(ev);
	state_write(c, "completed");
	fprintf(stderr, "gitdial-sip: %s: %s (%s)\n", c->callid, outcome,
		reason ? reason : "");
	wind_down(c);
}

static void decide(struct call *c, const char *outcome, long duration,
		   int connected, int sip_code, const char *reason,
		   const char *kind, const char *code, const char *msg)
{
	decide_hint(c, outcome, duration, connected, sip_code, reason, kind,
		    code, msg, NULL);
}

/*
 * 607 Unwanted: the recipient does not want our calls. The same event
 * the agent's opt-out makes (an "analysis" with opt_out), so the tick's
 * ingest adds the number to dnc/.
 */
static void spool_opt_out(struct call *c)
{
	cJSON *ev = hook_event("analysis", c->p->now + elapsed_s(c->t0),
			       c->p->campaign, c->p->attempt_id, c->callid);

	cJSON_AddStringToObject(ev, "sentiment", "negative");
	cJSON_AddStringToObject(ev, "summary", "the carrier answered 607 "
				"Unwanted (RFC 8197): the recipient marked "
				"this caller as unwanted");
	cJSON_AddBoolToObject(ev, "opt_out", 1);
	if (fn_spool(ev))
		fprintf(stderr, "gitdial-sip: cannot spool the opt-out: %s\n",
			gd_error_last());
	cJSON_Delete(ev);
}

/* Keeps the message's Reason header (RFC 3326), if any, for the outcome. */
static void reason_note(struct call *c, const struct sip_msg *msg)
{
	const struct sip_hdr *h = msg ? sip_msg_hdr(msg, SIP_HDR_REASON) : NULL;

	if (h && !c->sip_reason[0])
		sip_value_clean(c->sip_reason, sizeof(c->sip_reason), h->val.p,
				h->val.l);
}

/* An answered call ended (by a BYE, a hangup or the time limit). */
static void decide_answered(struct call *c, const char *reason)
{
	long d = elapsed_s(c->t_answer);

	decide(c, sip_answered_outcome(d), d, 1, 200, reason, NULL, NULL, NULL);
}

/* trunk.max_call_s passed on a connected call: end it. */
static void max_call_h(void *arg)
{
	decide_answered(arg, "max_call");
}

/*
 * The address our Contact names on leg l: the local one, or on the
 * trunk's UDP leg the one the trunk saw us from (the received/rport of
 * its first response's Via, RFC 3581), so that its requests reach us
 * through a NAT. tmp holds it when it is not src.
 */
static const struct sa *leg_contact_addr(struct leg *l, const struct sa *src,
					 enum sip_transp tp, struct sa *tmp)
{
	struct call *c = l->call;

	if (l != &c->rcp || tp != SIP_TRANSP_UDP || !sa_isset(&c->pub, SA_ALL))
		return src;
	*tmp = c->pub;
	return tmp;
}

/* Notes the received/rport the trunk put in our Via (its first response). */
static void pub_note(struct call *c, const struct sip_msg *msg)
{
	struct pl v;
	struct sa a;
	uint32_t port = 0;

	if (c->pub_seen || msg->tp != SIP_TRANSP_UDP)
		return;
	c->pub_seen = 1;
	if (msg_param_decode(&msg->via.params, "received", &v) ||
	    sa_set(&a, &v, 0))
		return;
	if (!msg_param_decode(&msg->via.params, "rport", &v))
		port = pl_u32(&v);
	sa_set_port(&a, port && port < 65536 ? (uint16_t)port
		    : sa_port(&msg->dst));
	if (sa_port(&a))
		c->pub = a;
}

/*
 * libre's send handler of our INVITEs: adds the Contact; the first send
 * of the recipient's INVITE is what dial waits for.
 */
static int invite_send_h(enum sip_transp tp, const struct sa *src,
			 const struct sa *dst, struct mbuf *mb, void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;
	struct sip_contact contact;
	struct sa pub;

	sip_contact_set(&contact, "gitdial", leg_contact_addr(l, src, tp, &pub),
			tp);
	if (l == &c->rcp) {
		c->inv_dst = *dst;
		c->inv_tp = tp;
	}
	if (!l->sent) {
		l->sent = 1;
		if (l == &c->rcp) {
			state_write(c, "trying");
			/* sent later, after DNS: say so now */
			if (!c->in_invite)
				report(c, NULL, NULL, NULL);
		}
	}
	return mbuf_printf(mb, "%H", sip_contact_print, &contact);
}

/* Keeps the ACK of a 2xx to send again when the 2xx is retransmitted. */
static int ack_send_h(enum sip_transp tp, const struct sa *src,
		      const struct sa *dst, struct mbuf *mb, void *arg)
{
	struct leg *l = arg;
	(void)src;

	mem_deref(l->ack_mb);
	l->ack_mb = mem_ref(mb);
	l->ack_dst = *dst;
	l->ack_tp = tp;
	return 0;
}

/* Adds our Contact to an in-dialog request (BYE). */
static int contact_send_h(enum sip_transp tp, const struct sa *src,
			  const struct sa *dst, struct mbuf *mb, void *arg)
{
	struct sip_contact contact;
	struct sa pub;
	(void)dst;

	sip_contact_set(&contact, "gitdial", leg_contact_addr(arg, src, tp, &pub),
			tp);
	return mbuf_printf(mb, "%H", sip_contact_print, &contact);
}

/*
 * Fresh credentials for a request in l's dialog: one line per challenger
 * met so far (none before a challenge).
 */
static int leg_credentials(struct leg *l, struct buf *out, const char *method)
{
	const struct sip_plan *p = l->call->p;
	char cnonce[17];
	int i;

	for (i = 0; i < l->nchall; i++) {
		rand_str(cnonce, sizeof(cnonce));
		if (sip_auth_header(out, &l->chall[i], p->user, p->password,
				    method, l->uri, ++l->nc[i], cnonce))
			return GD_ERROR;
	}
	return 0;
}

/*
 * Takes the challenge of a 401/407 on l (RFC 3261 §22.3): a new
 * challenger (a proxy, then the registrar: several at once) is added; a
 * challenger already answered may come back only with stale=true (a new
 * nonce for the same credentials, RFC 7616 §3.3), else our credentials
 * were refused. At most AUTH_TRIES per leg. Returns 0 when the request
 * should be sent again.
 */
static int leg_challenge(struct leg *l, const struct sip_msg *msg)
{
	const struct sip_plan *p = l->call->p;
	enum sip_hdrid id = msg->scode == 407 ? SIP_HDR_PROXY_AUTHENTICATE
		: SIP_HDR_WWW_AUTHENTICATE;
	char vals[CHALL_MAX][1024];
	const char *vp[CHALL_MAX];
	struct sip_chall ch;
	struct le *le;
	size_t n = 0;
	int i;

	if (!p->user[0] || l->auth_tries >= AUTH_TRIES)
		return GD_ERROR;
	for (le = list_head(&msg->hdrl); le && n < CHALL_MAX; le = le->next) {
		const struct sip_hdr *h = le->data;
		if (h->id != id || h->val.l >= sizeof(vals[0]))
			continue;
		memcpy(vals[n], h->val.p, h->val.l);
		vals[n][h->val.l] = '\0';
		vp[n] = vals[n];
		n++;
	}
	if (sip_chall_choose(&ch, vp, n, msg->scode == 407))
		return GD_ERROR;
	for (i = 0; i < l->nchall; i++)
		if (l->chall[i].proxy == ch.proxy &&
		    !strcmp(l->chall[i].realm, ch.realm))
			break;
	if (i < l->nchall && !ch.stale)
		return GD_ERROR; /* the same challenger refused our answer */
	if (i == l->nchall) {
		if (l->nchall == CHALL_KEEP)
			return GD_ERROR;
		l->nchall++;
	}
	l->chall[i] = ch;
	l->nc[i] = 0;
	l->auth_tries++;
	return 0;
}

static void rcp_resp_h(int err, const struct sip_msg *msg, void *arg);
static void agt_resp_h(int err, const struct sip_msg *msg, void *arg);

/* Sends (or re-sends, after a challenge) l's INVITE, with body if any. */
static int leg_invite(struct leg *l, const char *ctype, const uint8_t *body,
		      size_t len)
{
	struct buf auth = BUF_INIT(2048);
	int err;

	if (leg_credentials(l, &auth, "INVITE")) {
		buf_release(&auth);
		return EINVAL;
	}
	snprintf(l->auth, sizeof(l->auth), "%s", auth.ptr ? auth.ptr : "");
	buf_release(&auth);
	err = sip_drequestf(&l->req, l->call->sip, true, "INVITE", l->dlg, 0,
			    NULL, invite_send_h,
			    l == &l->call->rcp ? rcp_resp_h : agt_resp_h, l,
			    "%s%s%s%s%s"
			    "Content-Length: %zu\r\n"
			    "\r\n"
			    "%b",
			    l->hdrs, l->auth,
			    body ? "Content-Type: " : "", body ? ctype : "",
			    body ? "\r\n" : "", body ? len : (size_t)0,
			    body, body ? len : (size_t)0);
	if (!err) /* the CSeq the ACK of its 2xx takes (RFC 3261 §13.2.2.4) */
		l->inv_cseq = sip_dialog_lseq(l->dlg) - 1;
	return err;
}

/* The ACK of l's 2xx (CSeq cseq), with an SDP body when given. */
static int leg_ack(struct leg *l, uint32_t cseq, const uint8_t *sdp, size_t len)
{
	int err;

	err = sip_drequestf(NULL, l->call->sip, false, "ACK", l->dlg, cseq,
			    NULL, ack_send_h, NULL, l,
			    "%s%s"
			    "Content-Length: %zu\r\n"
			    "\r\n"
			    "%b",
			    l->auth, sdp ? "Content-Type: application/sdp\r\n" : "",
			    sdp ? len : (size_t)0, sdp, sdp ? len : (size_t)0);
	if (!err) {
		l->acked = 1;
		l->ack_cseq = cseq;
	}
	return err;
}

/* The answer to our BYE (or its failure) ends the leg. */
static void bye_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	(void)err;

	if (msg && msg->scode < 200)
		return;
	if (msg && (msg->scode == 401 || msg->scode == 407) &&
	    !leg_challenge(l, msg)) {
		/* a challenged BYE: answered, or the leg stays up at the carrier */
		l->bye_sent = 0;
		leg_bye(l);
		if (l->bye_sent && !l->ended)
			return;
	}
	l->ended = 1;
	check_done(l->call);
}

/* BYE once on an established leg; a leg whose BYE cannot go is ended. */
static void leg_bye(struct leg *l)
{
	struct buf auth = BUF_INIT(2048);

	if (l->bye_sent || l->ended)
		return;
	l->bye_sent = 1;
	if (leg_credentials(l, &auth, "BYE") ||
	    sip_drequestf(&l->bye, l->call->sip, true, "BYE", l->dlg, 0, NULL,
			  contact_send_h, bye_resp_h, l,
			  "%sContent-Length: 0\r\n\r\n", auth.ptr ? auth.ptr : ""))
		l->ended = 1;
	buf_release(&auth);
}

/*
 * ACKs the recipient's 2xx that still waits for the agent's answer,
 * declining its offer (RFC 3264 port 0): a leg is never BYEd un-ACKed.
 */
static void rcp_ack_decline(struct call *c)
{
	struct buf sdp = BUF_INIT(16384);

	if (c->rcp.acked || !c->rcp.answered)
		return;
	if (c->offer && !sip_sdp_decline(&sdp, (const char *)c->offer->buf,
					 c->offer->end))
		leg_ack(&c->rcp, c->rcp.ans_cseq, (const uint8_t *)sdp.ptr,
			sdp.len);
	else
		leg_ack(&c->rcp, c->rcp.ans_cseq, NULL, 0);
	buf_release(&sdp);
}

/*
 * Ends a leg whatever state it is in: CANCEL while ringing (libre sends
 * it only after a provisional response, RFC 3261 §9.1), ACK an answered
 * but unacknowledged leg (declining the recipient's offer), BYE.
 */
static void leg_end(struct leg *l)
{
	if (l->ended)
		return;
	if (!l->sent && !l->req) {
		l->ended = 1;
		return;
	}
	if (l->req && !l->answered) {
		l->canceled = 1;
		sip_request_cancel(l->req);
		return;
	}
	if (l->answered && !l->acked && l == &l->call->rcp)
		rcp_ack_decline(l->call);
	if (l->answered)
		leg_bye(l);
}

/* After the outcome, legs that do not end in time are left behind. */
static void linger_h(void *arg)
{
	struct call *c = arg;

	fprintf(stderr, "gitdial-sip: %s: legs still open after %d ms; "
		"leaving\n", c->callid, LINGER_MS);
	re_cancel();
}

/* Ends both legs (after the outcome) and bounds how long that may take. */
static void wind_down(struct call *c)
{
	leg_end(&c->rcp);
	leg_end(&c->agt);
	tmr_start(&c->linger, LINGER_MS, linger_h, c);
	check_done(c);
}

/* Leaves the loop once the outcome is written and both legs have ended. */
static void check_done(struct call *c)
{
	if (c->decided && c->rcp.ended && c->agt.ended && !c->finished) {
		c->finished = 1;
		re_cancel();
	}
}

/* The message's body when it is application/sdp, else NULL. */
static const uint8_t *sdp_body(const struct sip_msg *msg, size_t *len)
{
	char boundary[80];
	const char *sdp;
	struct pl b;

	*len = 0;
	if (!msg->mb || !mbuf_get_left(msg->mb))
		return NULL;
	if (msg_ctype_cmp(&msg->ctyp, "application", "sdp")) {
		*len = mbuf_get_left(msg->mb);
		return mbuf_buf(msg->mb);
	}
	/* SIP-I/SIP-T: the SDP beside the ISUP in a multipart/mixed body */
	if (!msg_ctype_cmp(&msg->ctyp, "multipart", "mixed") ||
	    msg_param_decode(&msg->ctyp.params, "boundary", &b))
		return NULL;
	if (b.l >= 2 && b.p[0] == '"' && b.p[b.l - 1] == '"') {
		b.p++;
		b.l -= 2;
	}
	if (!b.l || b.l >= sizeof(boundary))
		return NULL;
	memcpy(boundary, b.p, b.l);
	boundary[b.l] = '\0';
	if (sip_multipart_sdp((const char *)mbuf_buf(msg->mb),
			      mbuf_get_left(msg->mb), boundary, &sdp, len))
		return NULL;
	return (const uint8_t *)sdp;
}

/*
 * ACK the recipient's 2xx (CSeq ans_cseq) declining its offer, then BYE.
 * A 200 after offer/answer in a reliable 1xx carries no offer: its ACK
 * has no body.
 */
static void rcp_decline(struct call *c, const struct sip_msg *msg)
{
	struct buf sdp = BUF_INIT(16384);
	size_t len;
	const uint8_t *offer = c->rcp.early_oa && c->rcp.ans_cseq ==
		c->rcp.inv_cseq ? NULL : sdp_body(msg, &len);

	if (offer && !sip_sdp_decline(&sdp, (const char *)offer, len))
		leg_ack(&c->rcp, c->rcp.ans_cseq, (const uint8_t *)sdp.ptr,
			sdp.len);
	else
		leg_ack(&c->rcp, c->rcp.ans_cseq, NULL, 0);
	buf_release(&sdp);
	leg_bye(&c->rcp);
}

/*
 * The agent's dialog, its request URI naming TCP when tcp is set (a
 * ";transport=tcp" parameter, which libre's routing follows).
 */
static int agent_dialog(struct call *c, int tcp)
{
	const struct sip_plan *p = c->p;
	char from[SIP_URI_MAX + 64];

	snprintf(from, sizeof(from), "sip:%s@%s", p->to, p->trunk.domain);
	snprintf(c->agt.uri, sizeof(c->agt.uri), "%s%s", p->agent_uri,
		 tcp ? ";transport=tcp" : "");
	c->agt_tcp = tcp;
	return sip_dialog_alloc(&c->agt.dlg, c->agt.uri, p->agent_uri, NULL,
				from, NULL, 0);
}

/*
 * True when the agent's INVITE carrying len bytes of SDP must go over TCP
 * (RFC 3261 §18.1.1: over 1,300 bytes with the path MTU unknown, where it
 * would go over UDP): agent.sip_uri names no transport and no headers.
 * The size counts the SDP, our headers and a generous allowance for the
 * Via, From, To, Call-ID, CSeq, Contact and Max-Forwards lines.
 */
static int agent_needs_tcp(const struct call *c, size_t len)
{
	const char *u = c->p->agent_uri;

	if (strchr(u, '?') || strcasestr(u, ";transport="))
		return 0;
	return len + strlen(c->agt.hdrs) + 3 * strlen(u) + 400 > UDP_REQ_MAX;
}

/*
 * The agent's leg: an INVITE with the recipient's offer to agent.sip_uri,
 * From the recipient's number, with the attempt in X-Gitdial-* headers;
 * over TCP when it is large (agent_needs_tcp).
 */
static int agent_invite(struct call *c, const uint8_t *offer, size_t len)
{
	const struct sip_plan *p = c->p;
	int err;

	snprintf(c->agt.hdrs, sizeof(c->agt.hdrs),
		 "X-Gitdial-Attempt-Id: %s\r\n"
		 "X-Gitdial-Campaign: %s\r\n"
		 "X-Gitdial-Recipient: %s\r\n"
		 "X-Gitdial-Language: %s\r\n"
		 "X-Gitdial-Disclosure: %s\r\n"
		 "X-Gitdial-Trunk-Call-Id: %s\r\n"
		 UA_CAPS,
		 p->attempt_id, p->campaign, p->to, p->language,
		 p->disclosure ? "required" : "none", c->callid);
	err = agent_dialog(c, agent_needs_tcp(c, len));
	if (err)
		return err;
	return leg_invite(&c->agt, "application/sdp", offer, len);
}

/*
 * A 2xx to the recipient's INVITE that makes no dialog of ours: without
 * a To tag or a Contact (libre cannot make a dialog of it), or another
 * fork's after the first. It is still ACKed (RFC 3261 §13.2.2.4), to
 * its Contact or else the request URI, through the trunk's proxy, and,
 * when it has a To tag, that dialog is ended with a BYE.
 */
static void rcp_end_raw(struct call *c, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	const struct sip_trunk *t = &c->p->trunk;
	static const char *const tpname[] = { "udp", "tcp", "tls" };
	char target[SIP_URI_MAX + 64], next[SIP_URI_MAX + 32], rt[SIP_URI_MAX + 48];
	struct sip_addr addr;
	struct uri route;
	struct pl pl;
	int i;

	snprintf(target, sizeof(target), "%s", c->rcp.uri);
	if (h && !sip_addr_decode(&addr, &h->val) && addr.auri.l < sizeof(target) &&
	    addr.auri.l > 4 && !strncasecmp(addr.auri.p, "sip:", 4))
		pl_strcpy(&addr.auri, target, sizeof(target));
	snprintf(next, sizeof(next), "%s%s%s", t->proxy,
		 t->transport != SIP_TP_UDP ? ";transport=" : "",
		 t->transport != SIP_TP_UDP ? tpname[t->transport] : "");
	pl_set_str(&pl, next);
	if (uri_decode(&route, &pl))
		return;
	snprintf(rt, sizeof(rt), c->route[0] ? "Route: <%s;lr>\r\n" : "%s",
		 c->route);
	for (i = 0; i < 2; i++) {
		const char *met = i ? "BYE" : "ACK";
		if (i && (!pl_isset(&msg->to.tag) ||
			  !pl_strcmp(&msg->to.tag, c->raw_bye_tag)))
			break; /* no dialog, or its BYE went already */
		if (i)
			pl_strcpy(&msg->to.tag, c->raw_bye_tag,
				  sizeof(c->raw_bye_tag));
		if (sip_requestf(NULL, c->sip, i == 1, met, target, &route, NULL,
				 contact_send_h, NULL, &c->rcp,
				 "%sTo: %r\r\nFrom: %r\r\nCall-ID: %r\r\n"
				 "CSeq: %u %s\r\nMax-Forwards: 70\r\n%s"
				 "Content-Length: 0\r\n\r\n", rt, &msg->to.val,
				 &msg->from.val, &msg->callid,
				 /* the BYE's CSeq: above any PRACK's */
				 i ? c->rcp.inv_cseq + 100 : c->rcp.inv_cseq, met,
				 i ? "" : c->rcp.auth))
			fprintf(stderr, "gitdial-sip: %s: cannot send the %s of "
				"a 2xx without a dialog\n", c->callid, met);
	}
}

/*
 * The agent did not answer within BRIDGE_MS of the recipient's answer
 * (stalled after 100 Trying, or silent): the recipient hears silence and
 * the trunk stops retransmitting its 200 at 64*T1, so end it now.
 */
static void bridge_timeout(void *arg)
{
	struct call *c = arg;

	if (c->decided || c->bridged)
		return;
	fprintf(stderr, "gitdial-sip: %s: the agent did not answer in %d ms\n",
		c->callid, BRIDGE_MS);
	decide(c, "failed", elapsed_s(c->t_answer), 1, 200, "agent_timeout",
	       "transient", "agent_timeout", "the agent did not answer the "
	       "bridged call in time; the recipient's leg was ended");
}

/*
 * The recipient's offer (in its 2xx to our INVITE or re-INVITE, msg) goes
 * to the agent; the 2xx's ACK waits for the agent's answer. An offer
 * with SDES keys is declined instead: they never cross a plain leg.
 */
static void rcp_offer_relay(struct call *c, const struct sip_msg *msg,
			    const uint8_t *offer, size_t len)
{
	if (!leg_encrypted(&c->agt) &&
	    sip_sdp_has_crypto((const char *)offer, len)) {
		rcp_decline(c, msg);
		decide_hint(c, "failed", 0, 1, msg->scode, "srtp_keys", "account",
			    "srtp_keys", "the trunk offered SDES-SRTP keys "
			    "(a=crypto) and the agent's leg is not encrypted: the "
			    "keys are not relayed in clear", "have the carrier "
			    "send plain RTP on this trunk (or SRTP only over "
			    "transport tls with an encrypted agent leg)");
		return;
	}
	c->offer = mbuf_alloc(len + 1);
	if (c->offer)
		(void)mbuf_write_mem(c->offer, offer, len);
	sdp_keep(&c->rcp.sdp, offer, len);
	if (agent_invite(c, offer, len)) {
		rcp_decline(c, msg);
		c->agt.ended = 1;
		decide(c, "failed", 0, 1, msg->scode, "agent_unreachable",
		       "transient", "agent_unreachable", "cannot send the INVITE "
		       "to the agent");
	}
}

/*
 * The recipient answered after offer/answer in a reliable 1xx (its early
 * offer was declined in our PRACK, leg_prack): the 200 carries no new
 * offer (RFC 3261 §13.2.1; an SDP in it repeats the 1xx's, RFC 6337
 * §3.1, and is ignored), so it is ACKed at once without a body and an
 * offerless re-INVITE asks for a fresh offer: flow I again, the re-
 * INVITE's 2xx taking the agent's answer in its ACK.
 */
static void rcp_reoffer(struct call *c, const struct sip_msg *msg)
{
	struct leg *l = &c->rcp;

	leg_ack(l, l->inv_cseq, NULL, 0);
	l->reoffer = 1;
	if (!leg_mid(l, "INVITE", NULL))
		return;
	l->reoffer = 0;
	leg_bye(l);
	decide(c, "failed", 0, 1, msg->scode, "not_bridged", "transient",
	       "reoffer_failed", "cannot send the re-INVITE asking the "
	       "recipient for an offer after early media");
}

/*
 * The answer to rcp_reoffer's re-INVITE (err or msg): a 2xx's offer goes
 * to the agent; a 2xx without one or a refusal ends the call unbridged.
 */
static void rcp_reoffer_resp(struct leg *l, int err, const struct sip_msg *msg)
{
	struct call *c = l->call;
	const uint8_t *offer;
	char text[200];
	size_t len;

	l->reoffer = 0;
	if (!err && msg && msg->scode < 300) {
		(void)sip_dialog_update(l->dlg, msg);
		l->ans_cseq = l->mid_cseq;
		l->acked = 0;
		offer = sdp_body(msg, &len);
		if (c->decided || !offer) {
			rcp_decline(c, msg);
			if (!c->decided)
				decide(c, "failed", elapsed_s(c->t_answer), 1,
				       200, "no_offer", "failed", "no_offer",
				       "the recipient's 200 OK to our offerless "
				       "re-INVITE carries no SDP offer");
			return;
		}
		rcp_offer_relay(c, msg, offer, len);
		return;
	}
	if (c->decided)
		return;
	if (err)
		snprintf(text, sizeof(text), "no answer to our offerless "
			 "re-INVITE after early media: %s", strerror(err));
	else
		snprintf(text, sizeof(text), "the trunk refused our offerless "
			 "re-INVITE after early media: %d %.*s", msg->scode,
			 (int)msg->reason.l, msg->reason.p);
	leg_bye(l);
	decide(c, "failed", elapsed_s(c->t_answer), 1, 200, "not_bridged",
	       "transient", "reoffer_refused", text);
}

/*
 * The recipient answered with its offer: hold the 2xx unacknowledged
 * and offer it to the agent (the ACK waits for the agent's answer).
 * After early media the offer comes from a re-INVITE (rcp_reoffer).
 */
static void rcp_answered(struct call *c, const struct sip_msg *msg)
{
	struct leg *l = &c->rcp;
	const uint8_t *offer;
	size_t len;

	if (l->answered)
		return; /* a second fork's 2xx: ignored */
	if (l->tmpl && !sip_dialog_cmp(l->dlg, msg) &&
	    pl_isset(&msg->to.tag)) {
		/* the answer comes from another fork than the early dialog we
		 * PRACKed: its own dialog, and its own offer in the 2xx */
		struct sip_dialog *fork = NULL;

		if (!sip_dialog_fork(&fork, l->tmpl, msg)) {
			mem_deref(l->dlg);
			l->dlg = fork;
			l->early_oa = 0;
			l->rseq = 0;
		}
	}
	if (sip_dialog_established(l->dlg) ? !sip_dialog_cmp(l->dlg, msg) ||
	    sip_dialog_update(l->dlg, msg) : sip_dialog_create(l->dlg, msg)) {
		fprintf(stderr, "gitdial-sip: cannot make the recipient's dialog\n");
		rcp_end_raw(c, msg);
		l->ended = 1;
		decide(c, "failed", 0, 1, msg->scode, "bad_response", "failed",
		       "bad_2xx", "the recipient's 200 OK has no usable Contact");
		return;
	}
	l->answered = 1;
	l->ans_cseq = l->inv_cseq;
	c->t_answer = tmr_jiffies();
	tmr_cancel(&c->ring);
	tmr_cancel(&c->cancel_guard);
	if (c->decided || l->canceled) {
		rcp_decline(c, msg);
		/* our CANCEL crossed the 200: nobody spoke, the leg is
		 * ended at once; the 200 is not the call's answer */
		if (!c->decided)
			decide(c, "no_answer", 0, 0, 0, c->hangup
			       ? "hangup_requested" : "answered_after_cancel",
			       NULL, NULL, NULL);
		return;
	}
	state_write(c, "in_progress");
	offer = l->early_oa ? NULL : sdp_body(msg, &len);
	if (!offer && !l->early_oa) {
		leg_ack(l, l->inv_cseq, NULL, 0);
		leg_bye(l);
		decide(c, "failed", 0, 1, msg->scode, "no_offer", "failed",
		       "no_offer", "the recipient's 200 OK to an offerless "
		       "INVITE carries no SDP offer");
		return;
	}
	c->rcp_ok = mem_ref((void *)msg);
	/* max_call_s counts from the answer; the agent has BRIDGE_MS */
	tmr_start(&c->maxt, (uint64_t)c->p->trunk.max_call_s * 1000,
		  max_call_h, c);
	tmr_start(&c->bridge, BRIDGE_MS, bridge_timeout, c);
	if (l->early_oa)
		rcp_reoffer(c, msg);
	else
		rcp_offer_relay(c, msg, offer, len);
}

/* Answers a 401/407 to the INVITE: the challenge, then the INVITE again. */
static int leg_auth(struct leg *l, const struct sip_msg *msg)
{
	if (leg_challenge(l, msg))
		return GD_ERROR;
	return leg_invite(l, NULL, NULL, 0) ? GD_ERROR : 0;
}

/*
 * libre 1.1.0 reads SIP over UDP in 8,192-byte chunks and drops larger
 * datagrams (a 9 KB 200 became no_answer); its transport does not expose
 * the socket, but every UDP message carries it (msg->sock, a struct
 * udp_sock): from the first message on (rx_prime's, sent before our
 * INVITE), datagrams up to the UDP limit are read whole.
 */
static void rx_widen(const struct sip_msg *msg)
{
	static int done;

	if (done || msg->tp != SIP_TRANSP_UDP || !msg->sock)
		return;
	udp_rxsz_set(msg->sock, 65535);
	done = 1;
}

/*
 * A reliable provisional response (RFC 3262) gets its PRACK, in the early
 * dialog it makes; a retransmission (an RSeq not above the last) does
 * not. Our INVITE has no offer, so the first reliable 1xx carrying SDP
 * carries the offer (RFC 3261 §13.2.1) and the PRACK must carry the
 * answer (RFC 3262 §5): we decline every stream (RFC 3264 §6, port 0).
 * Early media reaches nobody: the agent joins only once the recipient
 * answers, by a re-INVITE for a fresh offer (rcp_reoffer). SDP in later
 * 1xx is no new offer (RFC 6337 §3.1): their PRACKs have no body.
 */
static void leg_prack(struct leg *l, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_RSEQ);
	struct buf auth = BUF_INIT(4096);
	struct buf ans = BUF_INIT(16384);
	const uint8_t *offer = NULL;
	size_t len = 0;
	uint32_t rseq;

	if (!h || !pl_isset(&msg->to.tag) || l->answered)
		return;
	rseq = pl_u32(&h->val);
	if (!rseq || (l->rseq && rseq <= l->rseq))
		return;
	if (!sip_dialog_established(l->dlg)) {
		/* the early dialog is a fork of the unanswered one, kept for
		 * a 2xx from another fork (libre forks only uncreated ones) */
		struct sip_dialog *early = NULL;

		if (sip_dialog_fork(&early, l->dlg, msg)) {
			fprintf(stderr, "gitdial-sip: %s: no early dialog for "
				"the PRACK\n", l->call->callid);
			return;
		}
		l->tmpl = l->dlg;
		l->dlg = early;
	}
	if (!sip_dialog_cmp(l->dlg, msg))
		return; /* another fork's: we keep to the first */
	l->rseq = rseq;
	if (!l->early_oa && (offer = sdp_body(msg, &len)) &&
	    sip_sdp_decline(&ans, (const char *)offer, len))
		offer = NULL; /* no m= line to decline: no answer we can make */
	if (offer) {
		l->early_oa = 1;
		fprintf(stderr, "gitdial-sip: %s: early media offered in a "
			"reliable %u: declined in the PRACK\n", l->call->callid,
			msg->scode);
	}
	if (leg_credentials(l, &auth, "PRACK") ||
	    sip_drequestf(NULL, l->call->sip, true, "PRACK", l->dlg, 0, NULL,
			  contact_send_h, NULL, l, "RAck: %u %u INVITE\r\n"
			  "%s%sContent-Length: %zu\r\n\r\n%b", rseq, l->inv_cseq,
			  auth.ptr ? auth.ptr : "",
			  offer ? "Content-Type: application/sdp\r\n" : "",
			  offer ? ans.len : (size_t)0, offer ? ans.ptr : NULL,
			  offer ? ans.len : (size_t)0))
		fprintf(stderr, "gitdial-sip: %s: cannot send the PRACK\n",
			l->call->callid);
	buf_release(&auth);
	buf_release(&ans);
}

/*
 * The trunk never answered the INVITE at all (Timer B with no response,
 * an ICMP error, a refused or failed connection): not the recipient's
 * no_answer but a trunk failure, which the runner's breaker counts.
 */
static void trunk_unreachable(struct call *c, int err)
{
	char text[300];

	c->rcp.ended = 1;
	if (tls_refused) {
		/* not the network: every call would meet this certificate */
		str_fmt_cut(text, sizeof(text), "the trunk's TLS certificate was "
			    "refused for '%s': %s", tls_name,
			    X509_verify_cert_error_string(tls_refused));
		decide_hint(c, "failed", 0, 0, 0, "tls_verify", "account",
			    "tls_verify", text, "check trunk.tls_ca and "
			    "trunk.tls_server_name against the carrier's "
			    "certificate; a certificate that should pass may "
			    "mean a machine in the middle");
		return;
	}
	str_fmt_cut(text, sizeof(text), "no response from the trunk %s (%s): "
		    "check trunk.proxy and trunk.transport, firewalls and the "
		    "trunk's IP allow-list", c->p->trunk.proxy,
		    err == ETIMEDOUT ? "Timer B, 32 s" : strerror(err));
	decide(c, "failed", 0, 0, 0, "trunk_unreachable", "transient",
	       "trunk_unreachable", text);
}

/* The probe socket said the trunk's port is closed (ICMP unreachable). */
static void probe_read_h(int flags, void *arg)
{
	struct call *c = arg;
	char b[64];
	ssize_t n;
	(void)flags;

	n = recv(c->probe_fd, b, sizeof(b), MSG_DONTWAIT);
	if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
		return;
	if (!c->responded && !c->decided) {
		int err = errno;
		fprintf(stderr, "gitdial-sip: %s: the trunk's port answers "
			"ICMP unreachable\n", c->callid);
		c->rcp.req = mem_deref(c->rcp.req);
		trunk_unreachable(c, err);
	}
}

/*
 * No response to the INVITE within PROBE_MS over UDP: libre's socket is
 * not connected, so it never sees ICMP errors; a connected socket to the
 * same address sends an empty line (what RFC 3261 §7.5 lets a peer
 * ignore) and reads the ICMP port-unreachable back as ECONNREFUSED.
 */
static void probe_h(void *arg)
{
	struct call *c = arg;
	struct sa dst;

	if (c->responded || c->decided || c->probe_fd >= 0 ||
	    c->inv_tp != SIP_TRANSP_UDP || !sa_isset(&c->inv_dst, SA_ALL))
		return;
	dst = c->inv_dst;
	c->probe_fd = socket(sa_af(&dst), SOCK_DGRAM | SOCK_CLOEXEC |
			     SOCK_NONBLOCK, 0);
	if (c->probe_fd < 0)
		return;
	if (connect(c->probe_fd, &dst.u.sa, dst.len) ||
	    send(c->probe_fd, "\r\n", 2, 0) < 0 ||
	    fd_listen(c->probe_fd, FD_READ, probe_read_h, c)) {
		if (errno == ECONNREFUSED && !c->decided) {
			c->rcp.req = mem_deref(c->rcp.req);
			trunk_unreachable(c, ECONNREFUSED);
		}
		return;
	}
}

/*
 * The trunk's TCP/TLS connection closed (libre's keepalive report). libre
 * closes it with EOVERFLOW when a message passes TCP_MSG_MAX, and tells
 * no transaction: without this the INVITE would wait for the ring
 * timeout and end no_answer. Other closes (idle, reset) only log here.
 */
static void trunk_conn_h(int err, void *arg)
{
	struct call *c = arg;
	char text[200];

	fprintf(stderr, "gitdial-sip: %s: the trunk's connection closed: %s\n",
		c->callid, strerror(err));
	if (err != EOVERFLOW || c->decided || c->rcp.answered)
		return;
	c->rcp.req = mem_deref(c->rcp.req);
	c->rcp.ended = 1;
	snprintf(text, sizeof(text), "the trunk sent a message over %d bytes "
		 "(the most read over TCP/TLS); the connection was closed",
		 TCP_MSG_MAX);
	decide(c, "failed", 0, 0, 0, "response_too_large", "transient",
	       "response_too_large", text);
}

/* Responses to the recipient's INVITE. */
static void rcp_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;
	struct sip_fate f;
	char code[16], text[200];
	int scode;

	if (msg) {
		c->responded = 1;
		rx_widen(msg);
		pub_note(c, msg);
		if (msg->tp != SIP_TRANSP_UDP && !c->ka && !c->decided &&
		    sip_keepalive_start(&c->ka, c->sip, msg, KA_NEVER_S,
					trunk_conn_h, c))
			fprintf(stderr, "gitdial-sip: %s: no report of the "
				"trunk's connection\n", c->callid);
	}
	if (!err && msg && msg->scode < 200) {
		if (!l->provisional && msg->scode > 100)
			state_write(c, "ringing");
		l->provisional = 1;
		if (msg->scode > 100 &&
		    sip_msg_hdr_has_value(msg, SIP_HDR_REQUIRE, "100rel"))
			leg_prack(l, msg);
		return;
	}
	if (!err && msg && msg->scode < 300) {
		rcp_answered(c, msg);
		return;
	}
	if (!err && msg && (msg->scode == 401 || msg->scode == 407) &&
	    !c->decided && !l->canceled && !leg_auth(l, msg))
		return;
	l->ended = 1;
	if (!l->sent || c->report_fd >= 0) {
		/* never sent (DNS, connection): the dial fails, no outcome */
		report(c, "transient", "send_failed", err ? strerror(err)
		       : "no response");
		c->decided = c->finished = 1;
		re_cancel();
		return;
	}
	if (err && !c->responded) {
		trunk_unreachable(c, err);
		return;
	}
	reason_note(c, msg);
	scode = err ? (err == ETIMEDOUT ? 408 : 503) : msg->scode;
	if (err && l->canceled)
		scode = 487; /* our CANCEL was never answered with a 487 */
	sip_fate_of(&f, scode, l->canceled);
	if (scode == 487 && c->hangup)
		f.reason = "hangup_requested";
	snprintf(code, sizeof(code), "%d", scode);
	if (err)
		snprintf(text, sizeof(text), "%s", err == ETIMEDOUT
			 ? "no final response (Timer B)" : strerror(err));
	else
		snprintf(text, sizeof(text), "%d %.*s", msg->scode,
			 (int)msg->reason.l, msg->reason.p);
	if (msg && (scode == 420 || scode == 421)) {
		const struct sip_hdr *h = sip_msg_hdr(msg, scode == 421
						      ? SIP_HDR_REQUIRE
						      : SIP_HDR_UNSUPPORTED);
		char v[64];
		if (h) {
			sip_value_clean(v, sizeof(v), h->val.p, h->val.l);
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " (%s: %s)", scode == 421 ? "Require"
				 : "Unsupported", v);
		}
	}
	if (msg && scode == 503) {
		const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_RETRY_AFTER);
		if (h) {
			c->retry_after = (long)pl_u32(&h->val);
			if (c->retry_after > 86400)
				c->retry_after = 86400;
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " (Retry-After: %ld s)", c->retry_after);
		}
	}
	if (f.opt_out)
		spool_opt_out(c);
	decide_hint(c, f.outcome, 0, 0, err ? 0 : scode, f.reason, f.kind,
		    f.kind ? code : NULL, f.kind ? text : NULL, f.hint);
}

/*
 * Responses to the agent's INVITE: its answer completes the recipient's
 * ACK; a refusal ends the recipient's leg (declined offer, then BYE).
 */
static void agt_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;
	const uint8_t *answer;
	size_t len;
	char code[24], text[200];

	if (msg)
		rx_widen(msg);
	if (!err && msg && msg->scode < 200) {
		l->provisional = 1;
		return;
	}
	if (err && err != ETIMEDOUT && c->agt_tcp && !l->provisional &&
	    !l->answered && !c->decided && c->offer) {
		/* RFC 3261 §18.1.1: TCP refused or reset, so UDP after all */
		fprintf(stderr, "gitdial-sip: %s: the agent over TCP: %s; again "
			"over UDP\n", c->callid, strerror(err));
		l->dlg = mem_deref(l->dlg);
		if (!agent_dialog(c, 0) &&
		    !leg_invite(l, "application/sdp", c->offer->buf,
				c->offer->end))
			return;
	}
	if (!err && msg && msg->scode < 300) {
		if (l->answered)
			return;
		if (sip_dialog_create(l->dlg, msg)) {
			l->ended = 1;
			goto refused;
		}
		l->answered = 1;
		leg_ack(l, l->inv_cseq, NULL, 0);
		answer = sdp_body(msg, &len);
		if (c->decided || !answer) {
			leg_bye(l);
			if (c->decided)
				return;
			goto refused;
		}
		leg_ack(&c->rcp, c->rcp.ans_cseq, answer, len);
		c->bridged = 1;
		sdp_keep(&c->agt.sdp, answer, len);
		leg_session(&c->agt, msg);
		leg_session(&c->rcp, c->rcp_ok);
		c->rcp_ok = mem_deref(c->rcp_ok);
		tmr_cancel(&c->bridge);
		fprintf(stderr, "gitdial-sip: %s: bridged\n", c->callid);
		return;
	}
	l->ended = 1;
	if (c->decided) {
		check_done(c);
		return;
	}
refused:
	snprintf(code, sizeof(code), "agent_%d", err ? 503 : msg->scode);
	if (err)
		snprintf(text, sizeof(text), "the agent did not answer: %s",
			 strerror(err));
	else
		snprintf(text, sizeof(text), "the agent refused the call: %d %.*s",
			 msg->scode, (int)msg->reason.l, msg->reason.p);
	/* the recipient's 2xx still waits for its ACK: decline, then BYE */
	rcp_ack_decline(c);
	leg_bye(&c->rcp);
	decide(c, "failed", elapsed_s(c->t_answer), 1, 200, "agent_refused",
	       "transient", code, text);
}

/*
 * True when l's signalling is encrypted: the trunk over transport tls;
 * the agent's leg never is (agent.sip_uri is a sip: URI over UDP/TCP).
 */
static int leg_encrypted(const struct leg *l)
{
	return l == &l->call->rcp && l->call->p->trunk.transport == SIP_TP_TLS;
}

static struct leg *leg_other(struct leg *l)
{
	return l == &l->call->rcp ? &l->call->agt : &l->call->rcp;
}

/* Replaces *kept with a copy of an SDP body (a NULL body keeps it). */
static void sdp_keep(struct mbuf **kept, const uint8_t *sdp, size_t len)
{
	struct mbuf *mb;

	if (!sdp || !len || !(mb = mbuf_alloc(len)))
		return;
	(void)mbuf_write_mem(mb, sdp, len);
	mb->pos = 0;
	mem_deref(*kept);
	*kept = mb;
}

/* True when an Allow header of msg lists method. */
static int allows(const struct sip_msg *msg, const char *method)
{
	struct le *le;

	for (le = list_head(&msg->hdrl); le; le = le->next) {
		const struct sip_hdr *h = le->data;
		struct pl v = h->val, tok;
		if (h->id != SIP_HDR_ALLOW)
			continue;
		while (!re_regex(v.p, v.l, "[ \t,]*[^ \t,]+", NULL, &tok)) {
			if (!pl_strcasecmp(&tok, method))
				return 1;
			v.l -= (size_t)(tok.p + tok.l - v.p);
			v.p = tok.p + tok.l;
		}
	}
	return 0;
}

static void refresh_h(void *arg);

/*
 * The peer refreshes l's session: without a refresh, we end the call
 * before the session expires, at the interval minus the lesser of 32 s
 * and a third of it (RFC 4028 §10).
 */
static void expiry_h(void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;

	if (c->decided)
		return;
	fprintf(stderr, "gitdial-sip: %s: the %s did not refresh the session\n",
		c->callid, l->name);
	if (c->bridged)
		decide_answered(c, "session_expired");
	else
		leg_gone(l, 0);
}

static void expiry_arm(struct leg *l)
{
	unsigned margin = l->se_s / 3 < 32 ? l->se_s / 3 : 32;

	tmr_cancel(&l->se_tmr);
	tmr_start(&l->se_exp, (uint64_t)(l->se_s - margin) * 1000, expiry_h, l);
}
static int leg_mid(struct leg *l, const char *method, const struct mbuf *sdp);

/*
 * The session timer a 2xx to our INVITE (or our refresh) set up (RFC
 * 4028 §7.2): when it names us (uac) the refresher, we refresh at half
 * the interval; otherwise the peer does and we answer.
 */
static void leg_session(struct leg *l, const struct sip_msg *msg)
{
	const struct sip_hdr *h;
	enum sip_refresher who;
	unsigned secs;

	if (!msg)
		return;
	if (allows(msg, "UPDATE"))
		l->peer_update = 1;
	h = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES);
	tmr_cancel(&l->se_tmr);
	tmr_cancel(&l->se_exp);
	if (!h || sip_se_parse(h->val.p, h->val.l, &secs, &who)) {
		l->se_s = 0;
		return;
	}
	l->se_s = secs;
	if (who == SIP_REFRESHER_UAC)
		tmr_start(&l->se_tmr, (uint64_t)secs * 500, refresh_h, l);
	else
		expiry_arm(l);
}

/* The leg's dialog ended under us (481, 408 to an in-dialog request). */
static void leg_gone(struct leg *l, int scode)
{
	struct call *c = l->call;

	l->ended = 1;
	if (!c->decided) {
		if (c->bridged)
			decide_answered(c, l == &c->rcp ? "recipient_gone"
					: "agent_gone");
		else
			decide(c, "failed", answered_s(c), c->rcp.answered,
			       scode, "not_bridged", "transient", "not_bridged",
			       "a leg's dialog ended before the bridge");
	}
	wind_down(c);
}

/* Answers the peer's re-offer waiting on l (its strans), once. */
static void st_reply(struct leg *l, int scode, const char *reason,
		     const struct mbuf *sdp);

/* Responses to our refresh or relayed re-offer on leg l. */
static void mid_resp_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	struct leg *o = leg_other(l);
	struct call *c = l->call;
	int relay = l->mid_relay;
	const uint8_t *sdp;
	size_t len;

	if (msg && msg->scode < 200)
		return;
	if (msg && (msg->scode == 401 || msg->scode == 407) && !c->decided &&
	    !leg_challenge(l, msg)) {
		/* challenged: the same request again, with credentials */
		int invite = !pl_strcmp(&msg->cseq.met, "INVITE");
		if (!leg_mid(l, invite ? "INVITE" : "UPDATE",
			     (invite && !l->reoffer) || relay ? o->sdp : NULL))
			return;
	}
	l->mid_relay = 0;
	if (l->reoffer) {
		rcp_reoffer_resp(l, err, msg);
		return;
	}
	if (msg && msg->scode < 300) {
		if (!pl_strcmp(&msg->cseq.met, "INVITE"))
			(void)leg_ack(l, msg->cseq.num, NULL, 0);
		sdp = sdp_body(msg, &len);
		sdp_keep(&l->sdp, sdp, len);
		(void)sip_dialog_update(l->dlg, msg);
		leg_session(l, msg);
		if (relay)
			st_reply(o, 200, "OK", l->sdp);
		return;
	}
	if (relay)
		st_reply(o, msg ? msg->scode : 500, msg ? "Refused" : "Error",
			 NULL);
	if (c->decided)
		return;
	if (err || msg->scode == 481 || msg->scode == 408) {
		fprintf(stderr, "gitdial-sip: %s: the %s's dialog is gone (%d)\n",
			c->callid, l->name, err ? 0 : msg->scode);
		leg_gone(l, err ? 0 : msg->scode);
		return;
	}
	/* a refusal of our refresh (405, 501, ...): re-INVITE next time */
	l->peer_update = 0;
	if (l->se_s && !relay)
		tmr_start(&l->se_tmr, (uint64_t)l->se_s * 250, refresh_h, l);
}

/*
 * Sends method on l's dialog: a bodiless UPDATE, or a (re-)INVITE or
 * UPDATE carrying sdp, with our session interval when one is running.
 */
static int leg_mid(struct leg *l, const char *method, const struct mbuf *sdp)
{
	struct buf auth = BUF_INIT(2048);
	char se[64] = "";
	int err;

	if (l->mid || l->ended || l->bye_sent)
		return EALREADY;
	if (leg_credentials(l, &auth, method)) {
		buf_release(&auth);
		return EINVAL;
	}
	if (l->se_s)
		snprintf(se, sizeof(se), "Session-Expires: %u;refresher=uac\r\n",
			 l->se_s);
	err = sip_drequestf(&l->mid, l->call->sip, true, method, l->dlg, 0,
			    NULL, contact_send_h, mid_resp_h, l,
			    "%s%s" UA_CAPS "%s"
			    "Content-Length: %zu\r\n"
			    "\r\n"
			    "%b",
			    auth.ptr ? auth.ptr : "", se,
			    sdp ? "Content-Type: application/sdp\r\n" : "",
			    sdp ? sdp->end : (size_t)0,
			    sdp ? sdp->buf : NULL, sdp ? sdp->end : (size_t)0);
	buf_release(&auth);
	if (!err)
		l->mid_cseq = sip_dialog_lseq(l->dlg) - 1;
	return err;
}

/* Our turn to refresh l's session: UPDATE when allowed, else re-INVITE. */
static void refresh_h(void *arg)
{
	struct leg *l = arg;
	struct call *c = l->call;
	int err;

	if (c->decided || l->ended)
		return;
	if (l->mid || l->st) {
		/* an offer is in progress: try again shortly */
		tmr_start(&l->se_tmr, 2000, refresh_h, l);
		return;
	}
	fprintf(stderr, "gitdial-sip: %s: session refresh of the %s\n",
		c->callid, l->name);
	err = l->peer_update ? leg_mid(l, "UPDATE", NULL)
		: leg_mid(l, "INVITE", leg_other(l)->sdp);
	if (err && l->se_s)
		tmr_start(&l->se_tmr, (uint64_t)l->se_s * 250, refresh_h, l);
}

/* Our 2xx to a re-INVITE again, until its ACK (RFC 3261 §13.3.1.4). */
static void ok_retrans_h(void *arg)
{
	struct leg *l = arg;
	uint64_t wait;

	if (!l->ok_mb || l->ok_txc >= 7) {
		l->ok_mb = mem_deref(l->ok_mb);
		return;
	}
	(void)sip_send(l->call->sip, NULL, l->ok_tp, &l->ok_dst, l->ok_mb);
	wait = (uint64_t)500 << ++l->ok_txc;
	tmr_start(&l->ok_tmr, wait > 4000 ? 4000 : wait, ok_retrans_h, l);
}

/*
 * A response to an in-dialog request of l's peer (msg), through the
 * server transaction *stp (NULL: a new one): our Contact, the session
 * interval echoed when the request carried one (RFC 4028 §9), the SDP
 * when given. A 2xx to an INVITE is kept and sent again until its ACK.
 */
static void dlg_reply(struct leg *l, struct sip_strans **stp,
		      const struct sip_msg *msg, int scode, const char *reason,
		      const struct mbuf *sdp)
{
	struct call *c = l->call;
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES);
	struct sip_contact contact;
	struct mbuf *mb = NULL;
	struct sa laddr, dst, pub;
	enum sip_refresher who = SIP_REFRESHER_UAC;
	unsigned secs = 0;
	char se[96] = "";
	int invite = !pl_strcmp(&msg->met, "INVITE");

	sip_reply_addr(&dst, msg, true);
	if (sip_transp_laddr(c->sip, &laddr, msg->tp, &dst))
		sa_init(&laddr, AF_INET);
	sip_contact_set(&contact, "gitdial", leg_contact_addr(l, &laddr, msg->tp,
							       &pub), msg->tp);
	if (scode < 300 && h && !sip_se_parse(h->val.p, h->val.l, &secs, &who)) {
		/* the requester refreshes unless it said otherwise */
		snprintf(se, sizeof(se), "Require: timer\r\nSession-Expires: "
			 "%u;refresher=%s\r\n", secs,
			 who == SIP_REFRESHER_UAS ? "uas" : "uac");
		l->se_s = secs;
		tmr_cancel(&l->se_tmr);
		tmr_cancel(&l->se_exp);
		if (who == SIP_REFRESHER_UAS)
			tmr_start(&l->se_tmr, (uint64_t)secs * 500, refresh_h, l);
		else
			expiry_arm(l);
	}
	if (sip_treplyf(stp, &mb, c->sip, msg, false, (uint16_t)scode, reason,
			"%H%s" UA_CAPS "%s"
			"Content-Length: %zu\r\n"
			"\r\n"
			"%b",
			sip_contact_print, &contact, se,
			sdp ? "Content-Type: application/sdp\r\n" : "",
			sdp ? sdp->end : (size_t)0,
			sdp ? sdp->buf : NULL, sdp ? sdp->end : (size_t)0))
		fprintf(stderr, "gitdial-sip: %s: cannot answer the %s's %.*s\n",
			c->callid, l->name, (int)msg->met.l, msg->met.p);
	if (invite && scode >= 200 && scode < 300 && mb &&
	    msg->tp == SIP_TRANSP_UDP) {
		mem_deref(l->ok_mb);
		l->ok_mb = mem_ref(mb);
		l->ok_dst = dst;
		l->ok_tp = msg->tp;
		l->ok_cseq = msg->cseq.num;
		l->ok_txc = 0;
		tmr_start(&l->ok_tmr, 500, ok_retrans_h, l);
	}
	mem_deref(mb);
}

static void st_reply(struct leg *l, int scode, const char *reason,
		     const struct mbuf *sdp)
{
	if (!l->st_msg)
		return;
	dlg_reply(l, &l->st, l->st_msg, scode, reason, sdp);
	l->st = mem_deref(l->st);
	l->st_msg = mem_deref(l->st_msg);
}

/*
 * A re-INVITE or UPDATE from l's peer. Without an offer, or re-offering
 * the SDP it last sent (same o= line: a session refresh), we answer at
 * once with what the other leg last sent. A changed offer (hold,
 * resume, new media) is relayed to the other leg and answered with its
 * answer (RFC 3725 §4); only one offer at a time (491 otherwise).
 */
static void mid_request(struct leg *l, const struct sip_msg *msg)
{
	struct call *c = l->call;
	struct leg *o = leg_other(l);
	const uint8_t *sdp;
	size_t len;
	int invite = !pl_strcmp(&msg->met, "INVITE");

	sdp = sdp_body(msg, &len);
	if (msg->mb && mbuf_get_left(msg->mb) && !sdp &&
	    !msg_ctype_cmp(&msg->ctyp, "multipart", "mixed")) {
		dlg_reply(l, NULL, msg, 415, "Unsupported Media Type", NULL);
		return;
	}
	if (invite && (l->st || l->mid)) {
		/* an INVITE crossing ours, or before the last one's answer */
		dlg_reply(l, NULL, msg, 491, "Request Pending", NULL);
		return;
	}
	(void)sip_dialog_update(l->dlg, msg);
	if (!sdp || (l->sdp && sip_sdp_same_origin((const char *)sdp, len,
			(const char *)l->sdp->buf, l->sdp->end))) {
		/* a refresh, or an offer that changes nothing: ours */
		dlg_reply(l, NULL, msg, 200, "OK",
			  sdp || invite ? o->sdp : NULL);
		return;
	}
	if (l->st || l->mid || o->mid || o->st) {
		/* one offer at a time across both legs (glare) */
		dlg_reply(l, NULL, msg, 491, "Request Pending", NULL);
		return;
	}
	if (!c->bridged || o->ended || o->bye_sent) {
		dlg_reply(l, NULL, msg, 488, "Not Acceptable Here", NULL);
		return;
	}
	if (!leg_encrypted(o) && sip_sdp_has_crypto((const char *)sdp, len)) {
		/* SRTP keys never go out in clear */
		dlg_reply(l, NULL, msg, 488, "Not Acceptable Here", NULL);
		return;
	}
	/* a new offer: the other leg answers it */
	sdp_keep(&l->sdp, sdp, len);
	if (sip_strans_alloc(&l->st, c->sip, msg, NULL, NULL)) {
		dlg_reply(l, NULL, msg, 500, "Server Internal Error", NULL);
		return;
	}
	l->st_msg = mem_ref((void *)msg);
	if (invite)
		(void)sip_treply(&l->st, c->sip, msg, 100, "Trying");
	o->mid_relay = 1;
	if (leg_mid(o, invite || !o->peer_update ? "INVITE" : "UPDATE",
		    l->sdp)) {
		o->mid_relay = 0;
		st_reply(l, 500, "Server Internal Error", NULL);
	}
	fprintf(stderr, "gitdial-sip: %s: re-offer from the %s relayed\n",
		c->callid, l->name);
}

/*
 * Requests outside our dialogs (RFC 3261 §8.2, §12.2.2): OPTIONS 200
 * with what we support; any request naming a dialog (To tag) we do not
 * hold 481; a new INVITE 603 (gitdial-sip takes no calls).
 */
static bool stray_request(struct call *c, const struct sip_msg *msg)
{
	if (!pl_strcmp(&msg->met, "ACK"))
		return true;
	if (!pl_strcmp(&msg->met, "OPTIONS"))
		(void)sip_treplyf(NULL, NULL, c->sip, msg, false, 200, "OK",
				  UA_CAPS "Accept: application/sdp\r\n"
				  "Content-Length: 0\r\n\r\n");
	else if (pl_isset(&msg->to.tag) || !pl_strcmp(&msg->met, "BYE") ||
		 !pl_strcmp(&msg->met, "CANCEL"))
		(void)sip_treply(NULL, c->sip, msg, 481,
				 "Call/Transaction Does Not Exist");
	else if (!pl_strcmp(&msg->met, "INVITE"))
		(void)sip_treply(NULL, c->sip, msg, 603, "Decline");
	else
		(void)sip_treply(NULL, c->sip, msg, 405, "Method Not Allowed");
	return true;
}

/* Requests: in our dialogs (BYE, re-offers, OPTIONS, INFO), or strays. */
static bool req_h(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct leg *l = NULL;

	if (c->rcp.dlg && sip_dialog_established(c->rcp.dlg) &&
	    sip_dialog_cmp(c->rcp.dlg, msg))
		l = &c->rcp;
	else if (c->agt.dlg && sip_dialog_established(c->agt.dlg) &&
		 sip_dialog_cmp(c->agt.dlg, msg))
		l = &c->agt;
	rx_widen(msg);
	if (!l)
		return stray_request(c, msg);
	if (!pl_strcmp(&msg->met, "ACK")) {
		if (l->ok_mb && msg->cseq.num == l->ok_cseq) {
			tmr_cancel(&l->ok_tmr);
			l->ok_mb = mem_deref(l->ok_mb);
		}
		return true;
	}
	if (!sip_dialog_rseq_valid(l->dlg, (struct sip_msg *)msg)) {
		(void)sip_treply(NULL, c->sip, msg, 500, "Bad CSeq");
		return true;
	}
	if (!pl_strcmp(&msg->met, "BYE")) {
		(void)sip_treply(NULL, c->sip, msg, 200, "OK");
		l->ended = 1;
		fprintf(stderr, "gitdial-sip: %s: BYE from the %s\n", c->callid,
			l->name);
		if (!c->decided)
			reason_note(c, msg);
		if (!c->decided && !c->bridged)
			/* before the agent answered: the recipient heard
			 * silence, the agent's INVITE will be canceled */
			decide(c, "failed", answered_s(c), c->rcp.answered,
			       200, "not_bridged", "transient", "not_bridged",
			       l == &c->rcp ? "the recipient hung up before the "
			       "agent answered" : "the agent hung up before the "
			       "call was bridged");
		else if (!c->decided)
			decide_answered(c, l == &c->rcp ? "recipient_hangup"
					: "agent_hangup");
		wind_down(c);
		check_done(c);
		return true;
	}
	if (!pl_strcmp(&msg->met, "OPTIONS") || !pl_strcmp(&msg->met, "INFO")) {
		(void)sip_treply(NULL, c->sip, msg, 200, "OK");
		return true;
	}
	if (!pl_strcmp(&msg->met, "INVITE") || !pl_strcmp(&msg->met, "UPDATE")) {
		if (c->decided || l->bye_sent)
			(void)sip_treply(NULL, c->sip, msg, 481,
					 "Call/Transaction Does Not Exist");
		else
			mid_request(l, msg);
		return true;
	}
	(void)sip_treply(NULL, c->sip, msg, 405, "Method Not Allowed");
	return true;
}

/* Retransmitted 2xx to an INVITE we have ACKed: the same ACK again. */
static bool resp_h(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct leg *legs[2] = { &c->rcp, &c->agt };
	int i;

	if (!pl_strcmp(&msg->callid, c->prime_callid)) {
		rx_widen(msg); /* rx_prime's: our UDP socket, widened */
		return true;
	}
	if (msg->scode < 200 || msg->scode >= 300 ||
	    pl_strcmp(&msg->cseq.met, "INVITE"))
		return false;
	for (i = 0; i < 2; i++) {
		struct leg *l = legs[i];
		if (!l->dlg || !sip_dialog_established(l->dlg) ||
		    !sip_dialog_cmp(l->dlg, msg))
			continue;
		/* a 2xx still waiting for its ACK (the agent's answer) is
		 * held; one we ACKed gets that ACK again */
		if (l->ack_mb && msg->cseq.num == l->ack_cseq)
			(void)sip_send(c->sip, NULL, l->ack_tp, &l->ack_dst,
				       l->ack_mb);
		return true;
	}
	if (c->rcp.answered && !pl_strcmp(&msg->callid, c->callid) &&
	    msg->cseq.num == c->rcp.inv_cseq) {
		/* another fork answered too: ACK and BYE it */
		fprintf(stderr, "gitdial-sip: %s: a second 2xx (another fork): "
			"ended\n", c->callid);
		rcp_end_raw(c, msg);
		return true;
	}
	return false;
}

/*
 * Our CANCEL got no final response to the INVITE in 64*T1 (RFC 3261
 * §9.1: the transaction is then over; libre stopped Timer B at the 1xx
 * and has no Timer C): the call ends unanswered.
 */
static void cancel_guard_h(void *arg)
{
	struct call *c = arg;

	if (c->decided || c->rcp.answered)
		return;
	fprintf(stderr, "gitdial-sip: %s: no final response after the CANCEL\n",
		c->callid);
	c->rcp.ended = 1;
	c->rcp.req = mem_deref(c->rcp.req);
	decide(c, "no_answer", 0, 0, 0, c->hangup ? "hangup_requested"
	       : "ring_timeout", NULL, NULL, NULL);
}

/*
 * The process's own end: past ring, a transaction, the bridge and
 * max_call_s (plus a margin), whatever the peers did, it decides and
 * leaves, so an attempt never holds a concurrency slot for good.
 */
static void doom_h(void *arg)
{
	struct call *c = arg;

	fprintf(stderr, "gitdial-sip: %s: the call outlived every limit\n",
		c->callid);
	if (!c->decided)
		decide(c, "failed", c->rcp.answered ? elapsed_s(c->t_answer) : 0,
		       c->rcp.answered, 0, "deadline", "transient", "deadline",
		       "the call's process reached its last deadline");
	re_cancel();
}

/* No answer in ring_timeout_s: CANCEL (libre waits for a 1xx first). */
static void ring_timeout(void *arg)
{
	struct call *c = arg;

	if (c->rcp.answered || c->decided)
		return;
	fprintf(stderr, "gitdial-sip: %s: ring timeout, CANCEL\n", c->callid);
	c->rcp.canceled = 1;
	sip_request_cancel(c->rcp.req);
	if (c->rcp.provisional)
		tmr_start(&c->cancel_guard, TXN_MS, cancel_guard_h, c);
}

/* A hangup (control socket, SIGTERM): CANCEL while ringing, else BYEs. */
static void call_hangup(struct call *c)
{
	if (c->decided)
		return;
	if (c->rcp.answered && !c->bridged) {
		decide(c, "failed", elapsed_s(c->t_answer), 1, 200,
		       "hangup_requested", "transient", "not_bridged",
		       "hung up before the agent answered");
		return;
	}
	if (c->rcp.answered) {
		decide_answered(c, "hangup_requested");
		return;
	}
	c->hangup = 1;
	c->rcp.canceled = 1;
	sip_request_cancel(c->rcp.req);
	if (c->rcp.provisional)
		tmr_start(&c->cancel_guard, TXN_MS, cancel_guard_h, c);
}

/*
 * libre calls this from the signal handler itself: only a write to the
 * self-pipe here, the hangup runs in the loop (sig_h).
 */
static void signal_h(int sig)
{
	char b = (char)sig;

	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], &b, 1);
}

static void sig_h(int flags, void *arg)
{
	char b[16];
	(void)flags;

	(void)!read(sig_pipe[0], b, sizeof(b));
	call_hangup(arg);
}

/* A connection on the control socket: "hangup\n" -> "ok\n". */
static void ctl_h(int flags, void *arg)
{
	struct call *c = arg;
	struct timeval tv = { 1, 0 };
	char line[32];
	ssize_t n;
	int fd;
	(void)flags;

	fd = accept4(c->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(fd, line, sizeof(line) - 1);
	if (n > 0) {
		line[n] = '\0';
		if (!strncmp(line, "hangup", 6)) {
			call_hangup(c);
			(void)!write(fd, "ok\n", 3);
		} else {
			(void)!write(fd, "?\n", 2);
		}
	}
	close(fd);
}

/* The control socket, relative to the .sip directory we run in. */
static int ctl_open(struct call *c)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.sock",
			     c->callid) >= sizeof(sun.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(sun.sun_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	c->ctl_fd = fd;
	return fd_listen(fd, FD_READ, ctl_h, c);
}

/* The local address that routes to the trunk's proxy. */
static int local_addr(struct sa *out, const struct sip_trunk *t)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[SIP_HOST_MAX];
	size_t n = strlen(t->host);
	int fd, rc = -1;

	snprintf(host, sizeof(host), "%s", t->host);
	if (host[0] == '[' && n > 2) { /* [v6] */
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, "5060", &hints, &res) || !res)
		return -1;
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, res->ai_addr, res->ai_addrlen) &&
	    !getsockname(fd, (struct sockaddr *)&ss, &sl) &&
	    !sa_set_sa(out, (struct sockaddr *)&ss)) {
		sa_set_port(out, 0);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return rc;
}

/* libre declares it only when built with USE_OPENSSL (its own build). */
struct ssl_ctx_st *tls_openssl_context(const struct tls *tls);


/*
 * OpenSSL's info callback on every TLS connection of this process: at
 * the start of a client handshake, the server name (SNI, RFC 6066) for
 * a trunk named by a host name. libre 1.1.0's SIP transport sets none.
 */
static void tls_info_h(const SSL *ssl, int where, int ret)
{
	unsigned char buf[16];
	(void)ret;

	if ((where & SSL_CB_ALERT) && (where & SSL_CB_WRITE) &&
	    !SSL_is_server((SSL *)ssl) && !tls_refused &&
	    SSL_get_verify_result(ssl) != X509_V_OK)
		/* we abort the handshake: the certificate failed */
		tls_refused = SSL_get_verify_result(ssl);
	if (!(where & SSL_CB_HANDSHAKE_START) || SSL_is_server((SSL *)ssl) ||
	    !tls_name[0] || inet_pton(AF_INET, tls_name, buf) == 1 ||
	    inet_pton(AF_INET6, tls_name, buf) == 1)
		return;
	(void)SSL_set_tlsext_host_name((SSL *)ssl, tls_name);
}

/*
 * TLS to the trunk that verifies: the chain against trunk.tls_ca (a
 * pinned CA) or the system store, and the name (trunk.tls_server_name,
 * default the proxy's host; an IP literal is matched as an address).
 * libre 1.1.0's client accepts any certificate: we set the OpenSSL
 * context it uses ourselves. Returns 0, or an errno with msg filled.
 */
static int tls_setup(struct call *c, char *msg, size_t n)
{
	const struct sip_trunk *t = &c->p->trunk;
	const char *ca = t->tls_ca[0] ? t->tls_ca
		: "/etc/ssl/certs/ca-certificates.crt";
	X509_VERIFY_PARAM *vp;
	SSL_CTX *ctx;
	size_t len;
	int err;

	if ((err = tls_alloc(&c->tls, TLS_METHOD_SSLV23, NULL, NULL))) {
		snprintf(msg, n, "cannot set up TLS");
		return err;
	}
	ctx = tls_openssl_context(c->tls);
	if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		str_fmt_cut(msg, n, "trunk.tls_ca: cannot load CA certificates from "
			    "'%s'", ca);
		return EINVAL;
	}
	snprintf(tls_name, sizeof(tls_name), "%s", t->tls_name);
	len = strlen(tls_name);
	if (tls_name[0] == '[' && len > 2) {
		memmove(tls_name, tls_name + 1, len - 2);
		tls_name[len - 2] = '\0';
	}
	vp = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (strchr(tls_name, ':') || strspn(tls_name, "0123456789.") ==
	    strlen(tls_name) ? X509_VERIFY_PARAM_set1_ip_asc(vp, tls_name) != 1
	    : X509_VERIFY_PARAM_set1_host(vp, tls_name, 0) != 1) {
		str_fmt_cut(msg, n, "trunk.tls_server_name: cannot verify '%s'",
			    tls_name);
		return EINVAL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_info_callback(ctx, tls_info_h);
	return 0;
}

/* UDP and TCP on the local address; TLS too when the trunk uses it. */
static int transports(struct call *c, const struct sa *laddr, char *msg,
		      size_t n)
{
	int err;

	err = sip_transp_add(c->sip, SIP_TRANSP_UDP, laddr);
	err = err ? err : sip_transp_add(c->sip, SIP_TRANSP_TCP, laddr);
	if (err)
		snprintf(msg, n, "cannot set up the SIP stack: %s", strerror(err));
	if (!err && c->p->trunk.transport == SIP_TP_TLS) {
		if ((err = tls_setup(c, msg, n)))
			return err;
		err = sip_transp_add(c->sip, SIP_TRANSP_TLS, laddr, c->tls);
		if (err)
			snprintf(msg, n, "cannot set up TLS: %s", strerror(err));
	}
	return err;
}

/*
 * The recipient's dialog: sip:+to@domain, From sip:+from@domain, through
 * the proxy (a Route when the domain is not the proxy), the caller-ID
 * header if configured.
 */
static int rcp_start(struct call *c)
{
	const struct sip_plan *p = c->p;
	const struct sip_trunk *t = &p->trunk;
	static const char *const tpname[] = { "udp", "tcp", "tls" };
	char ruri[SIP_URI_MAX + 64], from[SIP_URI_MAX + 64];
	char route[SIP_URI_MAX + 32];
	const char *routev[1];
	int need_route = strcmp(t->domain, t->proxy + 4) != 0;
	int err;

	snprintf(ruri, sizeof(ruri), "sip:%s@%s%s%s", p->to, t->domain,
		 !need_route && t->transport != SIP_TP_UDP ? ";transport=" : "",
		 !need_route && t->transport != SIP_TP_UDP ? tpname[t->transport] : "");
	snprintf(from, sizeof(from), "sip:%s@%s", p->from, t->domain);
	snprintf(route, sizeof(route), "%s%s%s", t->proxy,
		 t->transport != SIP_TP_UDP ? ";transport=" : "",
		 t->transport != SIP_TP_UDP ? tpname[t->transport] : "");
	routev[0] = route;
	snprintf(c->route, sizeof(c->route), "%s", need_route ? route : "");
	snprintf(c->rcp.uri, sizeof(c->rcp.uri), "%s", ruri);
	err = sip_dialog_alloc(&c->rcp.dlg, ruri, ruri, NULL, from, routev,
			       need_route ? 1 : 0);
	if (err)
		return err;
	snprintf(c->callid, sizeof(c->callid), "%s", sip_dialog_callid(c->rcp.dlg));
	if (!t->cid_header[0])
		c->rcp.hdrs[0] = '\0';
	else if (!strcmp(t->cid_header, "Remote-Party-ID"))
		snprintf(c->rcp.hdrs, sizeof(c->rcp.hdrs),
			 "Remote-Party-ID: <%s>;party=calling;screen=yes;"
			 "privacy=off\r\n", from);
	else
		snprintf(c->rcp.hdrs, sizeof(c->rcp.hdrs), "%s: <%s>\r\n",
			 t->cid_header, from);
	snprintf(c->rcp.hdrs + strlen(c->rcp.hdrs),
		 sizeof(c->rcp.hdrs) - strlen(c->rcp.hdrs),
		 UA_CAPS_TRUNK);
	return 0;
}

/*
 * Before our first INVITE, one small response to our own UDP socket (a
 * Call-ID no transaction holds, answered by nobody) reaches resp_h with
 * the socket, which rx_widen widens: a trunk's first response over
 * 8,192 bytes (a 183 or 200 with a large SDP or many headers, no 100
 * Trying before it) is read whole. It is queued on the socket before
 * the INVITE leaves, so it is read before any answer.
 */
static void rx_prime(struct call *c, const struct sa *laddr)
{
	struct sa la;
	char m[512];
	int fd, n;

	if (sip_transp_laddr(c->sip, &la, SIP_TRANSP_UDP, laddr))
		return;
	snprintf(c->prime_callid, sizeof(c->prime_callid), "rxsz-%s",
		 c->callid);
	n = re_snprintf(m, sizeof(m), "SIP/2.0 100 Trying\r\n"
			"Via: SIP/2.0/UDP %J;branch=z9hG4bKrxsz%s\r\n"
			"From: <sip:gitdial@invalid>;tag=rxsz\r\n"
			"To: <sip:gitdial@invalid>\r\n"
			"Call-ID: %s\r\nCSeq: 1 OPTIONS\r\n"
			"Content-Length: 0\r\n\r\n", &la, c->callid,
			c->prime_callid);
	fd = socket(sa_af(&la), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n <= 0 || fd < 0 ||
	    sendto(fd, m, (size_t)n, 0, &la.u.sa, la.len) != n)
		fprintf(stderr, "gitdial-sip: %s: cannot widen the UDP reads: "
			"%s\n", c->callid, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int sip_ua_run(const struct sip_plan *p, int report_fd)
{
	struct call c;
	struct sa laddr, nsv[4];
	uint32_t nsn = 4;
	char dom[64], msg[200], link[4200];
	int err, rc = 1;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.report_fd = report_fd;
	c.ctl_fd = -1;
	c.probe_fd = -1;
	c.doom_ms = (uint64_t)(p->ring_timeout_s + p->trunk.max_call_s + 120) *
		1000 + 2 * TXN_MS + BRIDGE_MS;
	c.rcp.call = c.agt.call = &c;
	c.rcp.name = "recipient";
	c.agt.name = "agent";
	tmr_init(&c.ring);
	tmr_init(&c.maxt);
	tmr_init(&c.linger);
	tmr_init(&c.probe);
	tmr_init(&c.cancel_guard);
	tmr_init(&c.bridge);
	tmr_init(&c.doom);
	tmr_init(&c.rcp.se_tmr);
	tmr_init(&c.rcp.se_exp);
	tmr_init(&c.agt.se_exp);
	tmr_init(&c.agt.se_tmr);
	tmr_init(&c.rcp.ok_tmr);
	tmr_init(&c.agt.ok_tmr);
	if ((err = libre_init())) {
		report(&c, "transient", "libre", "cannot start libre");
		return 1;
	}
	if (local_addr(&laddr, &p->trunk)) {
		str_fmt_cut(msg, sizeof(msg), "cannot resolve or route to the trunk "
			    "proxy '%s'", p->trunk.host);
		report(&c, "transient", "no_route", msg);
		goto cleanup;
	}
	if (dns_srv_get(dom, sizeof(dom), nsv, &nsn))
		nsn = 0;
	err = dnsc_alloc(&c.dnsc, NULL, nsv, nsn);
	err = err ? err : sip_alloc(&c.sip, c.dnsc, 32, 32, 32, "gitdial-sip",
				    NULL, NULL);
	if (!err && transports(&c, &laddr, msg, sizeof(msg))) {
		report(&c, "account", "tls_setup", msg);
		goto cleanup;
	}
	err = err ? err : sip_listen(&c.lreq, c.sip, true, req_h, &c);
	err = err ? err : sip_listen(&c.lresp, c.sip, false, resp_h, &c);
	err = err ? err : rcp_start(&c);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot set up the SIP stack: %s",
			 strerror(err));
		report(&c, "transient", "sip_setup", msg);
		goto cleanup;
	}
	if (sip_call_path(c.json_path, sizeof(c.json_path), p->spool, c.callid,
			  "json") ||
	    hook_state_put("sip", p->attempt_id, "call", c.callid)) {
		report(&c, "transient", "spool", "cannot write the call's state "
		       "beside the spool");
		goto cleanup;
	}
	state_write(&c, "queued");
	if (ctl_open(&c))
		fprintf(stderr, "gitdial-sip: no control socket: %s\n",
			strerror(errno));
	if (!pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK))
		(void)fd_listen(sig_pipe[0], FD_READ, sig_h, &c);
	rx_prime(&c, &laddr);
	c.t0 = tmr_jiffies();
	c.in_invite = 1;
	err = leg_invite(&c.rcp, NULL, NULL, 0);
	c.in_invite = 0;
	if (!err && c.rcp.sent)
		report(&c, NULL, NULL, NULL);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot send the INVITE: %s",
			 strerror(err));
		report(&c, "transient", "send_failed", msg);
		unlink(c.json_path);
		hook_state_drop("sip", p->attempt_id, "call");
		goto cleanup;
	}
	tmr_start(&c.ring, (uint64_t)p->ring_timeout_s * 1000, ring_timeout, &c);
	tmr_start(&c.probe, PROBE_MS, probe_h, &c);
	tmr_start(&c.doom, c.doom_ms, doom_h, &c);
	fprintf(stderr, "gitdial-sip: %s: INVITE for %s (attempt %s)\n",
		c.callid, p->to, p->attempt_id);
	err = re_main(signal_h);
	if (c.report_fd >= 0) /* left the loop without having sent it */
		report(&c, "transient", "send_failed", "the INVITE was never sent");
	if (!c.decided && c.rcp.sent)
		decide(&c, "failed", 0, 0, 0, "internal", "failed", "internal",
		       "the call's process stopped early");
	if (c.state && strcmp(c.state, "completed") && !c.rcp.sent) {
		unlink(c.json_path);
		hook_state_drop("sip", p->attempt_id, "call");
	}
	rc = 0;
cleanup:
	if (sig_pipe[0] >= 0) {
		fd_close(sig_pipe[0]);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
	snprintf(link, sizeof(link), "%s.sock", c.callid);
	if (c.ctl_fd >= 0) {
		fd_close(c.ctl_fd);
		close(c.ctl_fd);
		unlink(link);
	}
	tmr_cancel(&c.ring);
	tmr_cancel(&c.maxt);
	tmr_cancel(&c.linger);
	tmr_cancel(&c.probe);
	tmr_cancel(&c.cancel_guard);
	tmr_cancel(&c.bridge);
	tmr_cancel(&c.doom);
	if (c.probe_fd >= 0) {
		fd_close(c.probe_fd);
		close(c.probe_fd);
	}
	mem_deref(c.rcp.req);
	mem_deref(c.agt.req);
	mem_deref(c.rcp.bye);
	mem_deref(c.agt.bye);
	mem_deref(c.rcp.ack_mb);
	mem_deref(c.agt.ack_mb);
	{
		struct leg *lv[2] = { &c.rcp, &c.agt };
		int i;
		for (i = 0; i < 2; i++) {
			tmr_cancel(&lv[i]->se_tmr);
			tmr_cancel(&lv[i]->se_exp);
			tmr_cancel(&lv[i]->ok_tmr);
			mem_deref(lv[i]->mid);
			mem_deref(lv[i]->st);
			mem_deref(lv[i]->st_msg);
			mem_deref(lv[i]->ok_mb);
			mem_deref(lv[i]->sdp);
		}
	}
	mem_deref(c.rcp_ok);
	mem_deref(c.ka);
	mem_deref(c.lreq);
	mem_deref(c.lresp);
	if (c.sip)
		sip_close(c.sip, true);
	mem_deref(c.sip);
	mem_deref(c.rcp.dlg);
	mem_deref(c.rcp.tmpl);
	mem_deref(c.agt.dlg);
	mem_deref(c.tls);
	mem_deref(c.dnsc);
	mem_deref(c.offer);
	cJSON_Delete(c.outcome);
	libre_close();
	if (report_fd >= 0 && c.report_fd >= 0)
		report(&c, "transient", "internal", "stopped before sending");
	return rc;
}
