"""Property: any bytes as a CSV either fail as a whole file or store only grammatical targets."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.errors import ImportFileError
from campaigns.imports import import_targets
from campaigns.models import Target
from telephony.dialstring import validate_e164, validate_extension

GOOD = st.sampled_from(["(212) 555-0100", "+4930123456,,12", "4155550101 x9", "212.555.0102"])
HOSTILE = st.text(
    alphabet=st.sampled_from(list("0123456789 +()-.,;x#*wWABCDext\"'{}|&^$%\n\r\x00") + ["١", "é"]),
    max_size=24,
)
CELL = GOOD | HOSTILE
ROW = st.lists(CELL, min_size=1, max_size=4)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(ROW, max_size=12),
    header=st.sampled_from(
        ["number", "number,extension", "number,extension,note", "Number;Extension"]
    ),
)
def test_hostile_files_store_only_targets_that_pass_the_grammars(campaign, rows, header):
    text = header + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
    before = Target.objects.filter(campaign=campaign).count()
    try:
        report = import_targets(campaign, text.encode("utf-8"), fmt="csv")
    except ImportFileError:
        return
    # What the report says was created is exactly what was stored (no do-not-call list here).
    assert Target.objects.filter(campaign=campaign).count() == before + report.created
    for number, extension in Target.objects.filter(campaign=campaign).values_list(
        "number", "extension"
    ):
        assert validate_e164(number) == number
        assert validate_extension(extension) == extension
