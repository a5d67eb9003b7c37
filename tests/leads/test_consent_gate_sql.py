"""The consent gate in SQL (what the hopper, the check and the set-aside read) agrees with the pure rule over any
records: kinds, dates, expiries, revocations, on SQLite and PostgreSQL; and it reads only the records. So does the
hopper's test of a consent that lifts the legal days and hours."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Campaign
from leads.consent import hours_rule_lifted, lead_may_be_called
from leads.consent_models import ConsentGrant
from leads.consent_store import callable_clause, hours_exempt_clause
from leads.models import Lead
from tests.campaigns.factories import campaign, leads

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
moments = st.one_of(st.none(), st.sampled_from([datetime(2026, m, 1, tzinfo=UTC) for m in (1, 12)] + [NOW]),
                    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30),
                                 timezones=st.just(UTC)))
grants = st.fixed_dictionaries({
    "kind": st.sampled_from(["form", "partner", "contract"]), "given_at": moments,
    "source": st.sampled_from(["", "web"]), "proof_ref": st.sampled_from(["", "p"]), "expires_at": moments,
    "revoked_at": moments, "hours_exempt": st.booleans(), "other_client": st.booleans()})


def _proven(**changes: object) -> dict[str, object]:
    return {"kind": "form", "given_at": datetime(2026, 9, 1, tzinfo=UTC), "source": "web", "proof_ref": "p",
            "expires_at": None, "revoked_at": None, "hours_exempt": False, "other_client": False, **changes}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(grants, max_size=3), st.booleans())
# Proven records are rare among random ones: those that tell the hours exemption apart, always tried.
@example([_proven()], True)
@example([_proven(hours_exempt=True)], True)
@example([_proven(hours_exempt=True, kind="contract")], True)
@example([_proven(hours_exempt=True, other_client=True), _proven()], True)
@example([_proven(hours_exempt=True, revoked_at=NOW), _proven()], False)
def test_sql_and_python_agree_on_whether_a_lead_may_be_called(
    sessions: sessionmaker[Session], found: list[dict[str, object]], exempts: bool
) -> None:
    with sessions.begin() as session:
        made = session.scalars(select(Lead)).first()
        if made is None:
            made = leads(session, campaign(session).id, 1, consent_at=None, consent_source="", consent_proof="")[0]
            campaign(session, "Autre", client="Autre client")
        client_id = session.get_one(Campaign, made.campaign_id).client_id
        session.execute(delete(ConsentGrant))
        rows = [ConsentGrant(lead_id=made.id, client_id=client_id + 1 if g["other_client"] else client_id,
                             recorded_at=NOW, **{k: v for k, v in g.items() if k != "other_client"}) for g in found]
        session.add_all(rows)
        session.flush()
        in_sql, lifted = session.execute(select(callable_clause(NOW, exempts, client_id),
                                                hours_exempt_clause(NOW, client_id)).where(Lead.id == made.id)).one()
        mine = [r.rule_record() for r in rows if r.client_id == client_id]
        assert bool(in_sql) is lead_may_be_called(mine, NOW, exempts)
        assert bool(lifted) is hours_rule_lifted(mine, NOW)
