"""Every environment variable the code reads is listed in .env.example (STYLE rule 12)."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("switchboard", "campaigns", "telephony", "workers", "scripts")
# env_str("NAME", ...), env_secret("NAME"), os.environ.get("NAME"), os.environ["NAME"], env("NAME")
READS = re.compile(
    r"""(?:\benv_(?:str|bool|int|float|list|secret)|os\.environ\.get|os\.getenv|\benv)\(\s*"([A-Z][A-Z0-9_]+)"
      |os\.environ\[\s*"([A-Z][A-Z0-9_]+)"\s*\]""",
    re.VERBOSE,
)
DOCUMENTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)


def variables_read_by_the_code() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for match in READS.finditer(path.read_text()):
                found.add(match.group(1) or match.group(2))
    return found


def test_every_variable_read_by_the_code_is_in_env_example():
    documented = set(DOCUMENTED.findall((REPO / ".env.example").read_text()))
    read = variables_read_by_the_code()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "FREESWITCH_NODES"} <= read  # the scan works
    assert sorted(read - documented) == []
