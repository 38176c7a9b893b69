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


def test_zone_coordinates_are_checked_and_edited(home, cli) -> None:
    added = cli("zone", "add", "Thôn Đông", "--lat", "21,0278", "--lon", "105.8342", "--json")
    assert added.exit_code == 0, added.output
    assert (json.loads(added.stdout)["latitude"], json.loads(added.stdout)["longitude"]) == (21.0278, 105.8342)
    for args, message in ((("--lat", "95", "--lon", "105"), "Vĩ độ phải nằm trong khoảng −90 đến 90 độ"),
                          (("--lat", "21", "--lon", "200"), "Kinh độ phải nằm trong khoảng −180 đến 180 độ"),
                          (("--lat", "21"), "Cần nhập cả vĩ độ và kinh độ"),
                          (("--lat", "hai mốt", "--lon", "105"), "Vĩ độ phải là một số độ thập phân")):
        bad = cli("zone", "add", "Thôn Tây", *args)
        assert bad.exit_code != 0 and message in bad.stderr, (args, bad.stderr)
    assert [z["name"] for z in json.loads(cli("zone", "list", "--json").stdout)] == ["Thôn Đông"], "nothing half-added"
    moved = cli("zone", "edit", "thôn đông", "--lat", "21.03", "--lon", "105.84", "--json")
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout) == {"id": 1, "name": "Thôn Đông", "kind": "thôn", "output": "main",
                                              "latitude": 21.03, "longitude": 105.84}
    renamed = cli("zone", "edit", "1", "--name", "Thôn Đông Hạ", "--json")
    assert json.loads(renamed.stdout)["latitude"] == 21.03, "an edit keeps what it does not name"
    bad = cli("zone", "edit", "Thôn Đông Hạ", "--lat", "-91", "--lon", "0")
    assert bad.exit_code != 0 and "Vĩ độ" in bad.stderr
    assert json.loads(cli("zone", "list", "--json").stdout)[0]["latitude"] == 21.03, "a refused edit changes nothing"
    cleared = cli("zone", "edit", "Thôn Đông Hạ", "--no-coordinates", "--json")
    assert json.loads(cleared.stdout)["latitude"] is None
    missing = cli("zone", "edit", "Thôn Không Có", "--lat", "1", "--lon", "1")
    assert missing.exit_code != 0 and "Không có thôn/khu phố" in missing.stderr
