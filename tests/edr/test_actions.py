"""The EDR vocabulary partners read in docs/edr.md is the one the code records."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from selfcare_widget.edr import actions

DOC = Path(__file__).resolve().parents[2] / "docs" / "edr.md"


def documented_actions() -> dict[str, tuple[str, ...]]:
    """The "Actions and their details" table: action -> outcomes, in the order written."""
    section = DOC.read_text(encoding="utf-8").split("### Actions and their details", 1)[1]
    rows = re.findall(r"^\| `([a-z.]+)` \| ([a-z, ]+) \|", section, flags=re.M)
    return {action: tuple(o.strip() for o in outcomes.split(",")) for action, outcomes in rows}


def test_the_documented_actions_and_outcomes_equal_the_code():
    documented = documented_actions()
    assert set(documented) == set(actions.ACTIONS)
    for action, outcomes in documented.items():
        assert set(outcomes) == set(actions.ACTIONS[action]), action


def test_the_documented_outcome_field_lists_exactly_the_outcomes():
    line = next(ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("| `outcome`"))
    assert set(re.findall(r"`([a-z]+)`", line)) - {"outcome", "code", "errors"} == set(actions.OUTCOMES)


def test_every_action_constant_is_in_the_table():
    constants = {v for k, v in vars(actions).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(actions.ACTIONS)


def test_recording_an_unknown_action_or_outcome_is_a_programming_error(app):
    from selfcare_widget import edr

    with app.test_request_context():
        with pytest.raises(ValueError):
            edr.record("sim.explode")
        with pytest.raises(ValueError):
            edr.record(actions.SIGNOUT, "failed")
