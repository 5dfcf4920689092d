"""Named values pass the edition's gate: a figure the edition hides is `c`, whatever path (an
analyst's outlook, a reworded judgement) names it, and a sentence words it."""

from __future__ import annotations

from checks.disclosure import load_rules
from rendering.chapters import key_judgements
from rendering.chapters.core import Edition
from rendering.formatting import SUPPRESSED, WITHHELD
from rendering.named_values import gate_named_values
from tests.test_statistics import QUARTER, build, simulate

# hl-big holds ~95 % of every quarter: the (n,k) rule hides the totals, though 4 members
# report (the contributor threshold alone, as drafting applies it, would print them)
DOMINATED = {"hl-big": 20_000.0, "hl-a": 400.0, "hl-b": 350.0, "hl-c": 300.0}
EVEN = {"hl-a": 5_000.0, "hl-b": 4_000.0, "hl-c": 3_000.0, "hl-d": 2_500.0}


def edition(members: dict[str, float], name: str = "public") -> Edition:
    return Edition(build(simulate(seed=5, members=members)), load_rules(name))


def test_a_dominated_total_prints_c_and_is_named_as_withheld():
    values = {"urls_confirmed.value": "21,050", "urls_confirmed.change_yoy": "+2.0%",
              "urls_confirmed.members": "4", "urls_confirmed.name": "URLs confirmed",
              "reports_received.value": "9,000"}
    gated, withheld = gate_named_values(edition(DOMINATED), values,
                                        used={"urls_confirmed.value"})
    assert gated["urls_confirmed.value"] == SUPPRESSED
    assert gated["urls_confirmed.change_yoy"] == SUPPRESSED
    assert gated["urls_confirmed.members"] == "4" and gated["urls_confirmed.name"] != SUPPRESSED
    assert gated["reports_received.value"] == "9,000"  # not used: not looked at
    assert withheld == ["urls_confirmed.change_yoy", "urls_confirmed.value"]


def test_a_published_total_prints_as_drafted():
    values = {"urls_confirmed.value": "14,500", "urls_confirmed.change_qoq": "+1.0%"}
    gated, withheld = gate_named_values(edition(EVEN), values, used=set(values))
    assert gated == values and withheld == []


def test_an_outlook_naming_a_hidden_figure_words_it_never_prints_c(tmp_path):
    narrative = tmp_path / f"{QUARTER}.md"
    narrative.write_text(f'+++\nquarter = "{QUARTER}"\n+++\n\n## Outlook\nHotlines confirmed '
                         "{urls_confirmed.value} URLs.\n", encoding="utf-8")
    dominated = edition(DOMINATED)
    final = key_judgements.final_narrative(dominated, narrative)
    assert final.outlook == [f"Hotlines confirmed [{WITHHELD}] URLs."]
    assert dominated.log.withheld_named == ["urls_confirmed.value"]
    even = edition(EVEN)
    assert key_judgements.final_narrative(even, narrative).outlook[0] != final.outlook[0]
    assert even.log.withheld_named == []
