"""Who may use the quarantine, for the script tests that run as root: a temporary Unix group
(groupadd, removed by the test's cleanup) and user ids no account has, so that setpriv can run a
command as a member of that group or as a stranger to it.

  import unix_users
  name, gid = unix_users.temp_group(test)          # groupdel at the test's cleanup
  uid = unix_users.free_uid()
  cmd = unix_users.as_user(uid, [gid], [MUGAI, ...])  # a member; [] for a stranger
"""
import grp, os, pwd, shutil, stat, subprocess, uuid

NOGROUP = 65534  # the primary group of the users the tests make up: nobody's own


def can_switch_users():
    return os.geteuid() == 0 and all(shutil.which(t) for t in ("setpriv", "groupadd", "groupdel"))


def temp_group(test):
    """A new group, removed when TEST ends: (name, gid)."""
    name = "mugaiq" + uuid.uuid4().hex[:8]
    subprocess.run(["groupadd", name], check=True, capture_output=True, timeout=60)
    test.addCleanup(subprocess.run, ["groupdel", name], capture_output=True, timeout=60)
    return name, grp.getgrnam(name).gr_gid


def free_uid(after=61000):
    """A user id above AFTER that no account has."""
    for uid in range(after + 1, 65000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise RuntimeError("no free uid")


def as_user(uid, groups, cmd):
    """CMD run as UID (primary group NOGROUP) with exactly the supplementary GROUPS."""
    extra = ["--groups=" + ",".join(map(str, groups))] if groups else ["--clear-groups"]
    return ["setpriv", f"--reuid={uid}", f"--regid={NOGROUP}", *extra] + list(cmd)


def mode_and_owner(path):
    """(mode bits, uid, gid) of PATH, not followed."""
    st = os.lstat(path)
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def temp_user(test, group_gid, extra_gids=()):
    """A new system user (no home, no shell) whose primary group is GROUP_GID and who is a member
    of EXTRA_GIDS, removed when TEST ends: (name, uid)."""
    name = "mugaiu" + uuid.uuid4().hex[:8]
    cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
           "--gid", str(group_gid)]
    if extra_gids:
        cmd += ["--groups", ",".join(grp.getgrgid(g).gr_name for g in extra_gids)]
    subprocess.run(cmd + [name], check=True, capture_output=True, timeout=60)
    test.addCleanup(subprocess.run, ["userdel", name], capture_output=True, timeout=60)
    return name, pwd.getpwnam(name).pw_uid
