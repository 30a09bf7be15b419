#include <string.h>

#include "checkout.h"
#include "publish.h"
#include "store_edit.h"
#include "banned.h"

#define EDIT_ROUNDS 32

int store_edit(struct store *st, const char *remote, store_build_fn build,
	       void *ctx, const char *name, const char *email, time_t when,
	       git_oid *out, int *retries)
{
	int round, rc = 0, found;

	memset(out, 0, sizeof(*out));
	for (round = 0; round < EDIT_ROUNDS; round++) {
		if (retries)
			*retries = round;
		struct change ch = { 0 };
		struct buf msg = BUF_INIT(64 * 1024);
		struct src s;
		git_oid head, commit;
		if ((rc = store_sync(st, remote, &head, &found)))
			return rc;
		if (!found)
			return gd_error_set("the branch '%s' has no commit yet",
					    store_branch(st));
		if ((rc = src_init_tree(&s, st, &head)))
			return rc;
		rc = build(ctx, &s, &head, &ch, &msg);
		if (!rc && (rc = buf_check(&msg)))
			gd_error_prefix("commit message");
		src_release_tree(&s);
		if (!rc && ch.n) {
			rc = store_commit(st, &commit, &head, &ch, msg.ptr, name,
					  email, when);
			if (!rc)
				rc = store_publish(st, remote, &commit, &head);
			if (!rc) {
				store_checkout_paths(st, &head, &commit, &ch);
				*out = commit;
			}
		}
		change_release(&ch);
		buf_release(&msg);
		if (rc != GD_ECONFLICT && rc != GD_ERETRY)
			return rc;
	}
	return gd_error_set("the branch kept moving; gave up after %d tries "
			    "(nothing was changed)", EDIT_ROUNDS);
}
