"""The test signature database, for every script test that scans (the C tests build the same one in
tests/unit/scan_test_db.h). Nothing is downloaded: EICAR and the project's own test signatures as
plain .ndb/.hdb files, whose names libclamav and clamd report with ".UNOFFICIAL".

  import scan_db
  db = scan_db.make_database(tmpdir)            # a directory holding the signatures
  text = scan_db.config_with_database(text, db) # a mugai.conf text that scans with them
"""
import hashlib, os

# Split so that this file itself is not EICAR to a scanner.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
MARKER = b"MUGAI-TEST-SIGNATURE-3f9c1d7e"
HASHED = b"mugai test file matched by its md5\n"
EICAR_NAME = "Eicar-Test-Signature.UNOFFICIAL"
MARKER_NAME = "MUGAI.Test.Sig.UNOFFICIAL"
HASHED_NAME = "MUGAI.Test.Hash.UNOFFICIAL"


def make_database(directory, extra_ndb=""):
    """Write the test signatures (and EXTRA_NDB lines) into DIRECTORY; returns DIRECTORY."""
    os.makedirs(directory, exist_ok=True)
    ndb = (f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n"
           f"MUGAI.Test.Sig:0:*:{MARKER.hex()}\n" + extra_ndb)
    with open(os.path.join(directory, "mugai-test.ndb"), "w") as f:
        f.write(ndb)
    with open(os.path.join(directory, "mugai-test.hdb"), "w") as f:
        f.write(f"{hashlib.md5(HASHED).hexdigest()}:{len(HASHED)}:MUGAI.Test.Hash\n")
    return directory


def config_with_keys(text, group, /, **keys):
    """TEXT (a mugai.conf) with the given keys of [GROUP] set, whether or not it has the group
    (positional only: [quarantine] has a key named group)."""
    lines = [f"{k} = {v}" for k, v in keys.items()]
    out, inside, done = [], False, False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped == f"[{group}]"
            out.append(line)
            if inside and not done:
                out.extend(lines)
                done = True
            continue
        if inside and "=" in stripped and stripped.split("=", 1)[0].strip() in keys:
            continue  # replaced by the line above
        out.append(line)
    if not done:
        out += ["", f"[{group}]"] + lines
    return "\n".join(out) + "\n"


def config_with_scan(text, **keys):
    """TEXT with the given [scan] keys set."""
    return config_with_keys(text, "scan", **keys)


def config_with_database(text, directory, **more):
    """TEXT scanning with libclamav from DIRECTORY; MORE [scan] keys win over both."""
    keys = {"backend": "libclamav", "database_dir": directory}
    keys.update(more)
    return config_with_scan(text, **keys)


_database = None
_configs = {}


def database():
    """One test signature directory per test process, removed when it exits."""
    global _database
    if _database is None:
        import atexit, shutil, tempfile
        _database = make_database(tempfile.mkdtemp(prefix="mugai-test-db-"))
        os.chmod(_database, 0o755)  # a milter running as nobody reads it too
        atexit.register(shutil.rmtree, _database, True)
    return _database


def scanning(conf):
    """The path of CONF (a mugai.conf) changed to scan with the test signatures (written once per
    process next to the database): what every script test passes to mugai and mugai-milter."""
    if conf not in _configs:
        text = open(conf, encoding="utf-8").read()
        path = os.path.join(database(), f"conf-{len(_configs)}-{os.path.basename(conf)}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config_with_database(text, database()))
        _configs[conf] = path
    return _configs[conf]
