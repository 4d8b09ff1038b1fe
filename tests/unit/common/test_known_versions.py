"""``KnownVersions``: what an instance holds of the token versions, and when it must not."""
from anchang_common.revocation import KnownVersions


def consuming():
    known = KnownVersions()
    known.consuming()
    return known


def test_nothing_is_held_until_the_broadcast_is_consumed():
    known = KnownVersions()
    _, stamp = known.lookup("s1")
    known.remember("s1", 3, stamp)
    assert known.lookup("s1")[0] is None
    known.consuming()
    _, stamp = known.lookup("s1")
    known.remember("s1", 3, stamp)
    assert known.lookup("s1")[0] == 3


def test_a_version_read_before_a_change_is_not_held():
    known = consuming()
    _, stamp = known.lookup("s1")  # a check starts and asks the source...
    known.forget("s1")  # ...meanwhile staff.changed arrives
    known.remember("s1", 3, stamp)  # the answer may predate the change
    assert known.lookup("s1")[0] is None


def test_a_change_forgets_the_member_only():
    known = consuming()
    for staff_id, version in (("s1", 1), ("s2", 4)):
        known.remember(staff_id, version, known.lookup(staff_id)[1])
    known.forget("s1")
    assert known.lookup("s1")[0] is None and known.lookup("s2")[0] == 4


def test_losing_the_connection_forgets_everything_and_holds_nothing_until_consumed_again():
    known = consuming()
    known.remember("s1", 2, known.lookup("s1")[1])
    _, stamp = known.lookup("s2")
    known.not_consuming()
    assert known.lookup("s1")[0] is None
    known.remember("s2", 5, stamp)
    known.remember("s2", 5, known.lookup("s2")[1])
    assert known.lookup("s2")[0] is None
    known.consuming()  # events may have been missed meanwhile: nothing from before is kept
    assert known.lookup("s1")[0] is None
