"""Taking back a dial that was recorded but never sent: the dialer refused it at Originate.

`campaigns.outcomes.start_attempt` counts a dial before the PBX is asked, so that a crash never loses a dial
the frequency cap must see. When the dialer then finds, at the moment it would originate, that the call
would not ring inside the callee's window, nothing was dialled: this undoes the record, so the refused lead
costs no attempt and nothing of the cap, and goes back to the hopper.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from campaigns.models import Attempt, Callback, LeadClaim
from leads.models import Lead


def withdraw_attempt(session: Session, attempt_id: int, dialer_id: str, callback_id: int | None = None) -> bool:
    """Undo `start_attempt` of an attempt never originated, in the caller's transaction; False if it is gone
    or already has an outcome (then it was dialled, or settled, and stays)."""
    lead_id = session.scalar(select(Attempt.lead_id).where(
        Attempt.id == attempt_id, Attempt.dialer_id == dialer_id, Attempt.outcome == "", Attempt.ended_at.is_(None)))
    if lead_id is None:
        return False
    # Its transitions go with it (ON DELETE CASCADE).
    session.execute(delete(Attempt).where(Attempt.id == attempt_id).execution_options(synchronize_session=False))
    previous = select(func.max(Attempt.created_at)).where(Attempt.lead_id == lead_id).scalar_subquery()
    session.execute(
        update(Lead).where(Lead.id == lead_id)
        .values(attempts=Lead.attempts - 1, last_attempt_at=previous, claimed_by="", claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(LeadClaim).where(LeadClaim.lead_id == lead_id))
    if callback_id is not None:
        session.execute(update(Callback).where(Callback.id == callback_id, Callback.status == "done")
                        .values(status="pending"))
    return True
