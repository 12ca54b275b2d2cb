"""Attribution of lifecycle stage entries (conversion="stage_entry") and
ROI fed by attributed lead / MQL counts.  Every number is worked out by
hand in the comments."""
import pytest

import funnelcore as fc
from conftest import DAY, T0

FUNNEL = """\
machine "f" version 1
stage lead initial
stage mql
stage sql
transition lead -> mql on event qualify
transition * -> sql on event sales_qualify
"""


@pytest.fixture
def funnel():
    """a: webinar (T0+1d), email (T0+2d), qualified at T0+2d -> mql;
    b: webinar (T0+1d), qualified by sales at T0+3d: lead -> sql, mql
    passed through at T0+3d; c: email (T0+1d), stays a lead.  Free-mail
    addresses: no accounts."""
    with fc.Engine(clock=lambda: T0) as e:
        e.attach_machine(fc.Machine.parse(FUNNEL))
        a = e.add_touch(keys={"email": "a@gmail.com"}, channel="webinar",
                        time=T0 + DAY)
        b = e.add_touch(keys={"email": "b@gmail.com"}, channel="webinar",
                        time=T0 + DAY)
        e.add_touch(keys={"email": "c@gmail.com"}, channel="email",
                    time=T0 + DAY)
        e.add_touch(contact=a, channel="email", time=T0 + 2 * DAY)
        e.contact_event(a, "qualify", time=T0 + 2 * DAY)
        e.contact_event(b, "sales_qualify", time=T0 + 3 * DAY)
        yield e


def test_stage_entries_are_attributed_and_feed_cost_per_mql(funnel):
    e = funnel
    # mql: a at T0+2d over webinar, email (the touch at the entry's own
    # millisecond counts): 1/2 each; b at T0+3d over webinar: 1
    r = e.attribute("linear", conversion="stage_entry", stage="MQL",
                    scope="contact")
    rows = r.by_key()
    assert rows["webinar"].conversions == pytest.approx(1.5)
    assert rows["email"].conversions == pytest.approx(0.5)
    assert r.total_conversions == 2 and r.total_value == 0
    st = r.journeys_stats
    assert (st.conversions, st.nonconverting, st.currency) == (2, 0, "")
    # c never became an MQL: one null path (Markov, Shapley)
    r = e.attribute("markov", conversion="stage_entry", stage="mql",
                    scope="contact", nonconverting="not_entered")
    assert r.journeys_stats.nonconverting == 1 and r.total_nulls == 1
    with pytest.raises(fc.NotFound, match="'mqll'"):
        e.attribute(conversion="stage_entry", stage="mqll")
    with pytest.raises(fc.InvalidArgument):
        e.attribute(conversion="stage_entry", stage="mql",
                    nonconverting="no_deal")

    # ROI: webinar cost 3,000.00 = 300,000 cents; leads (the initial
    # stage, entered at each contact's first touch): webinar 2 (a, b),
    # email 1 (c); MQLs: webinar 1.5, email 0.5.
    e.add_cost(channel="webinar", amount=3000_00, start=T0,
               end=T0 + 30 * DAY, currency="USD")
    rep = e.report_roi(revenue=None,
                       leads={"stage": "lead", "scope": "contact"},
                       mqls={"stage": "mql", "scope": "contact"})
    web, mail = rep.by_key()["webinar"], rep.by_key()["email"]
    assert (web["leads"], web["mqls"]) == (2.0, 1.5)
    assert web["cost_per_lead"] == 150000          # 300,000 / 2
    assert web["cost_per_mql"] == 200000           # 300,000 / 1.5
    assert web["lead_to_mql"] == pytest.approx(0.75)
    assert (mail["leads"], mail["mqls"], mail["cost_per_mql"]) == \
        (1.0, 0.5, 0)
    assert web["sqls"] is None                      # not asked: unknown
    # a stage count given for the group wins over the attribution
    rep = e.report_roi(revenue=None, mqls="mql",
                       stage_counts={"webinar": {"mqls": 3}})
    assert rep.by_key()["webinar"]["cost_per_mql"] == 100000
    assert rep.by_key()["email"]["mqls"] == pytest.approx(0.5)
