"""How the tests are shared out between test processes (tests/sharing.py)."""

import json

from tests import sharing

B = "tests/test_browser.py::"


def test_a_test_weighs_its_stored_time_else_its_files_median_else_a_second():
    known = {B + "a": 9.0, B + "b": 2.0, B + "c": 4.0, "tests/test_x.py::one": 0.5}
    ids = [B + "a", B + "new", "tests/test_x.py::two", "tests/test_new.py::t"]
    assert sharing.weights(ids, known) == [9.0, 4.0, 0.5, 1.0]


def test_the_browser_tests_are_split_into_shares_of_about_equal_time():
    weight = [30.0, 2.0, 11.0, 9.0, 8.0, 7.0, 5.0, 1.0, 3.0]
    ids = [f"{B}t{i}" for i in range(len(weight))] + ["tests/test_x.py::a", "tests/test_x.py::b"]
    group = sharing.groups(ids, weight + [50.0, 50.0], 2)
    assert group[-2:] == ["tests/test_x.py"] * 2  # another file stays whole
    totals = {g: sum(w for w, h in zip(weight, group, strict=False) if h == g) for g in set(group[:-2])}
    assert sorted(totals) == ["browser-0", "browser-1"]
    assert sorted(totals.values()) == [38.0, 38.0]
    # round robin (the split before) gave 30+11+8+5+3 = 57 against 2+9+7+1 = 19
    assert sharing.groups(ids[:3], [1.0, 1.0, 1.0], 2) == ["browser-0", "browser-1", "browser-0"]
    assert set(sharing.groups(ids[:9], weight, 1)) == {"browser-0"}


def test_the_heaviest_group_goes_first_and_each_group_keeps_its_order():
    group = ["small", "big", "small", "mid", "big", "mid"]
    weight = [0.1, 5.0, 0.2, 3.0, 4.0, 3.5]
    assert sharing.heaviest_first(group, weight) == [1, 4, 3, 5, 0, 2]


def test_the_durations_are_stored_without_pytest_xdists_group(tmp_path):
    path = tmp_path / "durations.json"
    sharing.store({B + "t[a@b]@browser-1": 3.14159, "tests/test_x.py::u@tests/test_x.py": 0.5,
                   "tests/test_y.py::v[x@y]": 1.0}, path)
    assert json.loads(path.read_text()) == {B + "t[a@b]": 3.14, "tests/test_x.py::u": 0.5,
                                            "tests/test_y.py::v[x@y]": 1.0}
    assert sharing.load(path) == json.loads(path.read_text())
    assert sharing.load(tmp_path / "none.json") == {}
    # a run of one file replaces that file's entries and keeps the others'
    sharing.store({"tests/test_x.py::renamed": 2.0}, path)
    assert sharing.load(path) == {B + "t[a@b]": 3.14, "tests/test_x.py::renamed": 2.0,
                                  "tests/test_y.py::v[x@y]": 1.0}


def test_the_stored_durations_name_tests_that_exist(request):
    """The stored times cover the suite: nine in ten of the tests collected now at least
    (a new or renamed test weighs its file's median until its file is stored again),
    and no stored name keeps pytest-xdist's ``@group``."""
    known = sharing.load()
    collected = {sharing.plain(item.nodeid) for item in request.session.items}
    assert known and all(sharing.plain(n) == n for n in known)
    if len(collected) > 100:  # the whole suite was collected
        assert len(set(known) & collected) >= 0.9 * len(collected)
