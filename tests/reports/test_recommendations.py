"""The monthly review's recommendations, on literal figures: each rule fires at its named threshold, not below."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reports import recommendations as rules
from reports.recommendations import CallEnds, ReviewInputs, Segment


def seg(label: str, dials: int = 0, answered: int = 0, argued: int = 0, rdvs: int = 0, **kw: int) -> Segment:
    return Segment(label, dials, answered, argued, rdvs, **kw)


MONTH = seg("month", dials=1000, answered=200, argued=100, rdvs=10)  # 20 % answered, 10 % conversion


def test_names_the_hour_bands_that_answer_best_and_worst_with_their_rates() -> None:
    bands = [seg("10 h – 11 h", 200, 40), seg("12 h – 13 h", 200, 46), seg("17 h – 18 h", 200, 60),
             seg("14 h – 15 h", 200, 30), seg("18 h – 19 h", 50, 40)]  # too few dials to judge
    found = rules.best_hours(bands, MONTH)
    assert [r.topic for r in found] == ["hours", "hours"]
    best, weak = found
    # 23 % is exactly 15 % above 20 %: it counts; the 80 % band has too few dials to count at all.
    assert "17 h – 18 h, 12 h – 13 h" in best.text and "18 h – 19 h" not in best.text
    assert best.reason == "Taux de décroché 17 h – 18 h (30,0\u00a0%), 12 h – 13 h (23,0\u00a0%), contre " \
                          "20,0\u00a0% sur le mois."
    assert "14 h – 15 h" in weak.text and "15,0\u00a0%" in weak.reason


def test_says_nothing_about_hours_when_they_answer_alike() -> None:
    bands = [seg("10 h", 200, 42), seg("11 h", 200, 38), seg("12 h", 200, 45)]
    assert rules.best_hours(bands, MONTH) == []


def test_weekdays_follow_the_same_rule_with_their_own_words() -> None:
    days = [seg("lundi", 300, 45), seg("mardi", 300, 75), seg("mercredi", 300, 60)]
    found = rules.best_weekdays(days, MONTH)
    assert [r.text for r in found] == [
        "Nous vous proposons de donner plus de place aux jours où vos prospects répondent le mieux : mardi.",
        "Nous vous suggérons d'appeler moins le lundi, et de reporter ces appels sur les meilleurs jours.",
    ]


def test_a_list_with_many_unusable_numbers_is_set_aside_first() -> None:
    found = rules.list_actions([seg("Fichier A", 300, 40, 40, 8, leads=100, unusable=30, unreached=50)], MONTH)
    assert len(found) == 1 and "«\u00a0Fichier A\u00a0»" in found[0].text and "mettre de côté" in found[0].text
    assert "30,0\u00a0%" in found[0].reason
    assert rules.list_actions([seg("Fichier A", 300, 40, 40, 8, leads=100, unusable=29)], MONTH) == []


def test_a_poorly_converting_list_is_paused_once_it_has_enough_conversations() -> None:
    poor = seg("Fichier B", 500, 100, rules.MIN_ARGUED, 1, leads=200)  # 3.3 % against 10 %
    assert "mettre en pause" in rules.list_actions([poor], MONTH)[0].text
    too_few = seg("Fichier B", 500, 100, rules.MIN_ARGUED - 1, 0, leads=200)
    assert rules.list_actions([too_few], MONTH) == []


def test_a_well_converting_list_with_leads_never_reached_is_recycled() -> None:
    good = seg("Fichier C", 400, 80, 50, 6, leads=200, unreached=50)  # 25 % unreached, 12 % conversion
    found = rules.list_actions([good], MONTH)
    assert len(found) == 1 and "recycler le fichier «\u00a0Fichier C\u00a0»" in found[0].text
    assert rules.list_actions([seg("Fichier C", 400, 80, 50, 6, leads=200, unreached=49)], MONTH) == []


def test_departements_to_favour_and_to_call_later_by_conversion() -> None:
    areas = [seg("Gironde (33)", argued=50, rdvs=8), seg("Landes (40)", argued=40, rdvs=2),
             seg("Gers (32)", argued=10, rdvs=5), seg("Dordogne (24)", argued=60, rdvs=6)]
    strong, weak = rules.departement_actions(areas, MONTH)
    assert "Gironde (33)" in strong.text and "Gers" not in strong.text and "Dordogne" not in strong.text
    assert "Landes (40)" in weak.text and "5,0\u00a0%" in weak.reason


def test_the_script_opening_is_reworked_when_many_conversations_end_at_the_greeting() -> None:
    ends = CallEnds(conversations=200, at_greeting=70, refusals={}, callbacks=10, rdvs=20)
    found = rules.script_actions(ends)
    assert len(found) == 1 and "accroche" in found[0].text and "70 sur 200" in found[0].reason
    assert rules.script_actions(CallEnds(200, 69, {}, 10, 20)) == []


def test_the_leading_refusal_reason_gets_a_stronger_answer_in_the_script() -> None:
    ends = CallEnds(200, 10, {"Déjà équipé": 20, "Refus": 15, "Hors cible": 15}, 10, 20)
    found = rules.script_actions(ends)
    assert len(found) == 1 and "«\u00a0Déjà équipé\u00a0»" in found[0].text and "20 sur 50" in found[0].reason
    assert rules.script_actions(CallEnds(200, 10, {"Déjà équipé": 9, "Refus": 1}, 10, 20)) == []


def test_a_wide_spread_of_agents_conversion_proposes_shared_practice_without_naming_anyone() -> None:
    agents = [seg("Marie Dupont", argued=50, rdvs=10), seg("Paul Martin", argued=50, rdvs=5),
              seg("Nouveau", argued=5, rdvs=0)]
    (found,) = rules.agent_actions(agents)
    assert "Marie" not in found.text + found.reason and "Paul" not in found.text + found.reason
    assert "de 10,0\u00a0% à 20,0\u00a0%" in found.reason and "2 téléacteurs" in found.reason
    close = [seg("a", argued=50, rdvs=10), seg("b", argued=50, rdvs=7)]  # 6 points apart
    assert rules.agent_actions(close) == []


def test_a_marked_fall_against_the_previous_month_is_explained() -> None:
    before = seg("prev", dials=1000, answered=300, argued=100, rdvs=20)
    topics = [r.reason for r in rules.trend_actions(MONTH, before)]
    assert topics == ["Taux de décroché 20,0\u00a0% ce mois-ci, contre 30,0\u00a0% le mois précédent.",
                      "Taux de transformation 10,0\u00a0% ce mois-ci, contre 20,0\u00a0% le mois précédent."]
    assert rules.trend_actions(MONTH, None) == []
    assert rules.trend_actions(MONTH, seg("prev", 1000, 210, 100, 11)) == []


def test_quality_briefing_names_the_most_frequent_unmet_criterion_below_the_goal() -> None:
    (found,) = rules.quality_actions(20, 16, [("propriétaire", 3), ("surface ≥ 80 m²", 1)])
    assert "«\u00a0propriétaire\u00a0»" in found.text and "80,0\u00a0%" in found.reason and "3 fois" in found.reason
    assert rules.quality_actions(20, 18, [("propriétaire", 2)]) == []


def test_recommend_gathers_every_rule_in_the_reviews_order() -> None:
    inputs = ReviewInputs(
        month=MONTH, previous=seg("prev", 1000, 300, 100, 10),
        hour_bands=[seg("10 h", 200, 30), seg("17 h", 200, 60)], weekdays=[], lists=[], departements=[],
        agents=[], ends=CallEnds(200, 80, {}, 0, 10), conform=10, unmet=[],
    )
    assert [r.topic for r in rules.recommend(inputs)] == ["hours", "hours", "script", "trend"]


segments = st.builds(
    lambda label, dials, answered_share, argued_share, rdv_share: Segment(
        label, dials, int(dials * answered_share), int(dials * answered_share * argued_share),
        int(dials * answered_share * argued_share * rdv_share)),
    st.sampled_from(["10 h", "11 h", "12 h", "14 h", "17 h", "lundi", "mardi"]), st.integers(0, 2000),
    st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))


@given(st.lists(segments, max_size=8, unique_by=lambda s: s.label))
def test_a_segment_is_named_only_with_enough_calls_behind_it(bands: list[Segment]) -> None:
    month = Segment("month", sum(s.dials for s in bands), sum(s.answered for s in bands),
                    sum(s.argued for s in bands), sum(s.rdvs for s in bands))
    checks = ((rules.best_hours(bands, month), lambda s: s.dials >= rules.MIN_DIALS),
              (rules.departement_actions(bands, month), lambda s: s.argued >= rules.MIN_ARGUED))
    for found, enough in checks:
        for recommendation in found:
            named = [s for s in bands if f"{s.label} (" in recommendation.reason]
            assert 0 < len(named) <= rules.MAX_NAMED
            assert all(enough(s) for s in named)
