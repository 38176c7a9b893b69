"""``broadcaster zone add|list``: an operator adds villages from the command line."""
from __future__ import annotations

import json


def test_zone_add_and_list_with_json(home, cli) -> None:
    added = cli("zone", "add", "Thôn Đông", "--output", "loa-dong", "--json")
    assert added.exit_code == 0, added.output
    zone = json.loads(added.stdout)
    assert zone["name"] == "Thôn Đông" and zone["output"] == "loa-dong" and zone["id"] > 0

    listed = cli("zone", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [z["name"] for z in json.loads(listed.stdout)] == ["Thôn Đông"]


def test_a_duplicate_zone_differing_only_in_case_is_a_vietnamese_error(home, cli) -> None:
    assert cli("zone", "add", "Thôn Đông").exit_code == 0
    again = cli("zone", "add", "thôn đông")
    assert again.exit_code != 0
    assert "Đã có thôn/khu phố" in again.stderr
    assert len(json.loads(cli("zone", "list", "--json").stdout)) == 1
