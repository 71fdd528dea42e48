"""Chapter 07 (gradient descent): the catalogue of mistakes covers what the course promises.

Every catalogued mistake failing its checks with its own sentence is proven for the whole
course by tests/test_grading.py (in-process) and tests/test_mutations.py (through nbgrader);
this file checks what is particular to this chapter's catalogue.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcore import optim
from dlcore.grading import all_exercises, get_exercise, mistakes

CHAPTER = "07_gradient_descent"
EXERCISES = sorted(name for name, e in all_exercises().items() if e.chapter == CHAPTER)
REQUIRED = [
    "sgd-ascent",                    # sign flipped: gradient ascent
    "sgd-lr-twice", "momentum-lr-twice",          # the learning rate applied twice
    "momentum-old-velocity", "momentum-no-accumulate",  # momentum that forgets the velocity
    "adam-no-bias-correction",
    "adam-t-from-zero", "adam-bias-power-misplaced",     # bias correction: t off by one, wrong power
    "rmsprop-eps-inside-sqrt",
    "sgd-in-place", "adam-state-in-place",       # modifying an argument in place
]


def test_the_exercises_are_the_four_update_steps() -> None:
    assert EXERCISES == ["adam_step", "momentum_step", "rmsprop_step", "sgd_step"]
    for name in EXERCISES:
        assert get_exercise(name).reference is getattr(optim, name)


def test_every_exercise_has_catalogued_mistakes_and_the_required_ones_exist() -> None:
    ids = {m.id for m in mistakes() if m.exercise in EXERCISES}
    assert len(ids) >= 8
    assert {m.exercise for m in mistakes() if m.exercise in EXERCISES} == set(EXERCISES)
    assert not set(REQUIRED) - ids, sorted(set(REQUIRED) - ids)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_eps_inside_the_root_is_numerically_distinguishable_on_the_probes(hidden: bool) -> None:
    """Some probe input must separate sqrt(s) + eps from sqrt(s + eps) by far more than the tolerance."""
    exercise = get_exercise("rmsprop_step")
    cases = exercise.hidden_cases(np.random.default_rng(3)) if hidden else exercise.visible_cases()
    wrong = next(m for m in mistakes("rmsprop_step") if m.id == "rmsprop-eps-inside-sqrt").function()
    gaps = []
    for case in cases:
        right = exercise.reference(*case.args, **case.kwargs)[0]
        other = wrong(*case.args, **case.kwargs)[0]
        gaps.append(np.max(np.abs(right - other) / (exercise.atol + exercise.rtol * np.abs(right))))
    assert max(gaps) > 100, gaps


def test_probes_start_from_a_nonzero_state() -> None:
    """A step that ignores the incoming velocity or running means must be caught on the visible probes."""
    for name, state_index in [("momentum_step", 2), ("rmsprop_step", 2), ("adam_step", 2)]:
        states = [case.args[state_index] for case in get_exercise(name).visible_cases()]
        assert any(np.any(s != 0) for s in states), name
    steps = {case.args[4] for case in get_exercise("adam_step").visible_cases()}
    assert 1 in steps and max(steps) >= 100, steps
