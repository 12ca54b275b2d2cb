/* model30.h -- the 30-rule scoring model the benchmarks share: six fit
 * rules, twenty engagement rules with caps and windows, four key events,
 * grades, bands and an MQL threshold. */
#ifndef FNL_BENCH_MODEL30_H
#define FNL_BENCH_MODEL30_H

static const char *model_text =
    "model \"bench\" version 1\n"
    "decay half_life 30d\n"
    "fit title contains director +10\n"
    "fit title contains vp +12\n"
    "fit company_size between 200 and 5000 +15\n"
    "fit email freemail -20\n"
    "fit country in (de, at, ch, fr, uk) +5\n"
    "fit industry = student -30\n"
    "engage type = pricing_view +5 cap 25 per_window 3 in 7d\n"
    "engage type = visit +1 cap 10\n"
    "engage type = email_open +0.5 cap 5\n"
    "engage type = email_click +2 cap 20\n"
    "engage type = form_submit +10\n"
    "engage type = webinar_attend +15\n"
    "engage type = trial_request +30\n"
    "engage type = unsubscribe -50\n"
    "engage type = bounce -10 cap 30\n"
    "engage channel = paid_search +1 per_window 2 in 1d\n"
    "engage channel = events +8\n"
    "engage channel = email and type = email_click +1\n"
    "engage campaign starts_with spring +2 cap 10\n"
    "engage campaign contains webinar +3\n"
    "engage campaign = c7 +1 per_window 1 in 1d\n"
    "engage type = visit and channel = organic_search +0.5\n"
    "engage type = visit and channel = referral +0.5\n"
    "engage value >= 1000 +4 per_window 1 in 30d\n"
    "engage type = form_submit and channel = paid_social +2\n"
    "engage type in (call, meeting) +6\n"
    "key_event \"pricing x3\" when type = pricing_view count 3 within 7d +20\n"
    "key_event trial when type = trial_request +30\n"
    "key_event webinar when type = webinar_attend within 30d +5\n"
    "key_event \"clicks x5\" when type = email_click count 5 within 14d +10\n"
    "grade A fit >= 30\ngrade B fit >= 15\ngrade C fit >= 5\n"
    "band 1 engagement >= 60\nband 2 engagement >= 30\n"
    "band 3 engagement >= 10\n"
    "threshold mql when score >= 60 and grade >= B\n";

#endif
