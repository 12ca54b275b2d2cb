/* privacy.c -- forgetting a person (GDPR erasure, PIPL deletion). */
#include "stage_engine.h"
#include "store.h"

typedef struct rforget {
    uint32_t contact;
    int64_t time;
} rforget;

static void forget_need(const fnl_engine *e, const void *rv, fnli_need *n)
{
    (void)e;
    (void)rv;
    n->events += 1;
}

static void forget_encode(fnli_wbuf *w, const void *rv)
{
    const rforget *r = rv;
    fnli_w_uv(w, r->contact);
    fnli_w_sv(w, r->time);
}

static int forget_decode(fnl_engine *e, fnli_rbuf *rb, void *out)
{
    rforget *r = out;
    int rc = fnli_r_contact(e, rb, &r->contact);
    if (rc != FNL_OK)
        return rc;
    r->time = fnli_r_sv(rb);
    if (rb->bad || r->contact == 0 || r->time < FNL_TIME_MIN ||
        r->time > FNL_TIME_MAX)
        return FNL_ECORRUPT;
    return FNL_OK;
}

static void forget_apply(fnl_engine *e, void *rv)
{
    const rforget *r = rv;
    fnli_stages_forget(e, r->contact);
    fnli_contact_erase(e, r->contact, r->time);
}

const fnli_opdef fnli_op_forget = {REC_FORGET, forget_decode, forget_need,
                                   forget_encode, forget_apply, NULL};

FNL_API int fnl_contact_forget(fnl_engine *e, fnl_contact_id id)
{
    rforget r;
    int rc;
    if (e == NULL)
        return FNL_EINVAL;
    if ((rc = fnli_begin(e)) != FNL_OK)
        return rc;
    r.contact = 0;
    if ((rc = fnli_contact_index(e, id, &r.contact)) == FNL_OK &&
        (rc = fnli_check_time(e, "forget time", FNL_TIME_NOW, &r.time)) ==
            FNL_OK)
        rc = fnli_commit(e, &fnli_op_forget, &r);
    return fnli_end(e, rc);
}
