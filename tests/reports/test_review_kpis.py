"""The review's own figures on small literal frames."""

from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal

from reports import review_kpis
from reports.recommendations import CallEnds

ARGUED = {"rdv", "refused", "already_equipped", "callback"}


def attempts(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["lead_id", "outcome", "agent", "disposition"])
    frame["day"] = pd.Timestamp("2026-12-01")
    frame["local_at"] = pd.Timestamp("2026-12-01 10:30")
    return frame


def appointments(rows: list[tuple[int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["lead_id", "agent"])
    frame["day"] = pd.Timestamp("2026-12-01")
    frame["local_at"] = pd.Timestamp("2026-12-01 10:30")
    return frame


CALLS = attempts([
    (1, "connected", "marie", "rdv"), (2, "connected", "marie", "refused"), (3, "connected", "paul", "refused"),
    (3, "no_answer", "", ""), (4, "connected", "paul", "not_target_quick"), (5, "invalid", "", ""),
    (6, "connected", "paul", "wrong_number"), (7, "connected", "paul", "callback"), (8, "dropped", "", ""),
])
RDVS = appointments([(1, "marie")])


def test_conversion_per_agent_counts_only_the_calls_an_agent_took() -> None:
    frame = review_kpis.by_agent(CALLS, RDVS, ARGUED)
    expected = pd.DataFrame({"dials": [2, 4], "answered": [2, 4], "argued": [2, 2], "rdvs": [1, 0],
                             "answer_rate": [1.0, 1.0], "conversion": [0.5, 0.0]},
                            index=pd.Index(["marie", "paul"], name="agent"))
    assert_frame_equal(frame, expected)


def test_per_list_adds_leads_loaded_unreached_and_unusable() -> None:
    leads = pd.DataFrame({"lead_id": [1, 2, 3, 5, 9], "status": ["final", "final", "exhausted", "exhausted",
                                                                   "exhausted"]})
    lists = pd.DataFrame({"lead_id": [1, 2, 3, 5, 9], "list": ["A", "A", "B", "B", "B"],
                          "last_outcome": ["rdv", "refused", "refused", "invalid", "no_answer"]})
    frame = review_kpis.by_list(CALLS[CALLS["lead_id"].isin([1, 2, 3, 5])], RDVS, leads, lists, ARGUED)
    assert frame.loc["A", ["leads", "dials", "argued", "rdvs", "unreached", "unusable"]].tolist() == [2, 2, 2, 1, 0, 0]
    # Lead 3 is out of attempts but was reached; 5 and 9 never were; 5's number is invalid.
    assert frame.loc["B", ["leads", "dials", "unreached", "unusable"]].tolist() == [3, 3, 2, 1]


def test_where_calls_end_counts_the_greeting_the_pitch_and_the_close() -> None:
    labels = {"refused": "Refus", "already_equipped": "Déjà équipé"}
    ends = review_kpis.call_ends(CALLS, ARGUED, labels, {"refused", "already_equipped", "objection"})
    assert ends == CallEnds(conversations=6, at_greeting=1, refusals={"Refus": 2}, callbacks=1, rdvs=1)


def test_unmet_criteria_most_frequent_first() -> None:
    details = pd.DataFrame({"unmet": [["propriétaire"], [], ["surface", "propriétaire"], ["âge"]]})
    assert review_kpis.unmet_criteria(details) == [("propriétaire", 2), ("surface", 1), ("âge", 1)]


def events(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["appointment_id", "day", "to_state", "note"])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["reference"] = [f"RDV-{i:06d}" for i in frame["appointment_id"]]
    return frame


def test_quality_control_counts_chutes_and_fausses_chutes_once_each() -> None:
    moves = events([(1, "2026-12-02", "sent_to_client", "outbox #3"), (1, "2026-12-09", "visited", ""),
                    (1, "2026-12-10", "validated", ""), (2, "2026-12-09", "cancelled_by_client", "absent"),
                    (2, "2026-12-12", "false_cancellation", "photo du devis signé"),
                    (3, "2026-12-09", "cancelled_by_client", ""), (3, "2026-12-11", "cancelled", "")])
    qc = review_kpis.quality_control(moves)
    assert (qc.visited, qc.reported_cancelled, qc.validated, qc.cancelled, qc.false_cancellations, qc.ruled) == (
        1, 2, 1, 1, 1, 3)
    comments = review_kpis.visit_comments(moves)
    assert [(c.reference, c.note) for c in comments] == [("RDV-000002", "photo du devis signé"),
                                                         ("RDV-000002", "absent")]
