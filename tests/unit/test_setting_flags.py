"""``measure``'s setting options are declared without pydantic (``setting_flags.SETTING_OPTIONS``,
so that ``--help`` is fast); they are what ``RunSettings``' fields say, field by field."""

from __future__ import annotations

from cprofiler.cli_kit import options_of
from cprofiler.setting_flags import SETTING_OPTIONS, flag_of
from cprofiler.settings import RunSettings, flagged


def test_the_declared_options_are_the_ones_the_fields_of_run_settings_give():
    # Same fields in the same order, same Flags, same value types, same bounds: a setting added
    # to RunSettings, or a bound changed there, fails here until SETTING_OPTIONS says the same.
    assert options_of(RunSettings) == SETTING_OPTIONS


def test_every_flagged_field_carries_the_flag_declared_for_it():
    assert flagged(RunSettings) == {option.field: flag_of(option.field) for option in SETTING_OPTIONS}
