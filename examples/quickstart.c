/* quickstart.c -- record two touches of one person and read them back. */
#include <stdio.h>
#include "funnelcore.h"

int main(void)
{
    fnl_engine *e;
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_key anon = {"cookie_id", "c-42"};
    fnl_key known[2] = {{"cookie_id", "c-42"}, {"email", "Ana@Acme.com"}};
    fnl_contact_info info = FNL_CONTACT_INFO_INIT;
    fnl_touch_info tl[2];
    fnl_contact_id id;
    size_t n, i;

    if (fnl_engine_open(&e, NULL) != FNL_OK)
        return 1;
    t.keys = &anon, t.key_count = 1, t.time = 1767225600000;
    t.url = "https://acme.com/pricing?utm_source=google&utm_medium=cpc";
    fnl_touch_add(e, &t, NULL);                 /* an anonymous visit */
    t.keys = known, t.key_count = 2, t.time += 86400000;
    t.url = NULL, t.type = "trial_request", t.channel = "email";
    if (fnl_touch_add(e, &t, &id) != FNL_OK) {  /* the form: keys meet */
        fprintf(stderr, "%s\n", fnl_errmsg(e));
        return 1;
    }
    fnl_contact_get(e, id, &info);
    printf("contact with %llu touches, %s an account\n",
           (unsigned long long)info.touch_count, info.account ? "in" : "without");
    fnl_contact_touches(e, id, tl, sizeof(tl[0]), 2, &n);
    for (i = 0; i < n; i++)   /* prints paid_search visit, email trial_request */
        printf("  %s %s\n", tl[i].channel, tl[i].type);
    fnl_engine_close(e);
    return 0;
}
