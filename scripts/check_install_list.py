#!/usr/bin/env python3
"""Proves scripts/install-deps.sh complete: every file the build reads must come from a Debian
package that the install list (or an essential package) pulls in through Depends/Pre-Depends.

A developer machine keeps packages installed by hand, so a green build there proves nothing
about a fresh machine (ocl-icd-opencl-dev, which Debian's dnnl-config.cmake needs but
libdnnl-dev only recommends, once slipped through that way). This script collects what the
build really read:
  - every CMake file the configure step ran (cmake --trace, in a scratch build folder),
  - every header each compiled object included (the compiler's .o.d dependency files),
  - every library and tool a link line or the CMake cache names,
maps each file to its package with dpkg's file lists, and fails naming the file and the
package when that package is not in the closure of the install list.

  check_install_list.py BUILD_DIR [BUILD_DIR...] [--drop PKG]...
--drop removes a package from the list first, to show that the check notices.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Only these trees hold files a package could own; the checkout, build folders and /tmp do not.
SYSTEM_PREFIXES = ("/usr/", "/lib/", "/lib64/", "/bin/", "/sbin/", "/etc/", "/opt/")


def install_list():
    out = subprocess.run([os.path.join(HERE, "scripts/install-deps.sh"), "--list"],
                         check=True, capture_output=True, text=True).stdout
    return [p for p in out.split() if p]


def installed_packages():
    """name -> (essential, [dependency groups], [provided names]) for installed packages."""
    fmt = "${Package}\t${Status}\t${Essential}\t${Pre-Depends}\t${Depends}\t${Provides}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], check=True, capture_output=True,
                         text=True).stdout
    packages = {}
    for line in out.splitlines():
        name, status, essential, pre, dep, provides = (line.split("\t") + [""] * 6)[:6]
        if not status.endswith(" installed"):
            continue
        groups = []
        for field in (pre, dep):
            for group in filter(None, (g.strip() for g in field.split(","))):
                groups.append([re.split(r"[\s(:]", alt.strip())[0] for alt in group.split("|")])
        provided = [re.split(r"[\s(]", p.strip())[0] for p in provides.split(",") if p.strip()]
        packages[name] = (essential == "yes", groups, provided)
    return packages


def closure(roots, packages):
    """The packages the roots pull in by Depends/Pre-Depends (Recommends do not count: the
    install script passes --no-install-recommends)."""
    providers = {}
    for name, (_, _, provided) in packages.items():
        for p in provided:
            providers.setdefault(p, []).append(name)
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        candidates = [name] if name in packages else providers.get(name, [])
        for c in candidates:
            if c in seen:
                continue
            seen.add(c)
            for group in packages[c][1]:
                # Any installed alternative satisfies the group; follow the ones present.
                stack.extend(alt for alt in group if alt in packages or alt in providers)
    return seen


def file_owners():
    """path -> package, from dpkg's per-package file lists."""
    owners = {}
    info = "/var/lib/dpkg/info"
    for entry in os.listdir(info):
        if not entry.endswith(".list"):
            continue
        package = entry[:-len(".list")].split(":")[0]
        with open(os.path.join(info, entry), errors="replace") as f:
            for path in f:
                owners.setdefault(path.rstrip("\n"), package)
    return owners


def owner_of(path, owners):
    """The package owning a path, trying the forms merged-/usr and symlinks give it."""
    candidates = [path, os.path.realpath(path)]
    for c in list(candidates):
        if c.startswith("/usr/lib/") or c.startswith("/usr/bin/") or c.startswith("/usr/sbin/"):
            candidates.append(c[len("/usr"):])
        elif c.startswith(("/lib/", "/bin/", "/sbin/")):
            candidates.append("/usr" + c)
    # A file reached through a symlinked folder: resolve the folder, keep the name.
    candidates.append(os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path)))
    for c in candidates:
        if c in owners:
            return owners[c]
    return None


def files_from_dep_files(build_dir):
    files = set()
    for root, _, names in os.walk(build_dir):
        for n in names:
            if not n.endswith(".o.d"):
                continue
            with open(os.path.join(root, n), errors="replace") as f:
                text = f.read().replace("\\\n", " ")
            # "target: dep dep ..."; paths relative to the build folder are the project's own.
            deps = text.split(":", 1)[1] if ":" in text else ""
            files.update(d for d in deps.split() if d.startswith("/"))
    return files


def files_from_link_lines(build_dir):
    files = set()
    for root, _, names in os.walk(build_dir):
        if "link.txt" in names:
            with open(os.path.join(root, "link.txt")) as f:
                for word in f.read().split():
                    if word.startswith("/"):
                        files.add(word)
    return files


def files_from_cmake_cache(build_dir):
    files = set()
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache) as f:
            for line in f:
                m = re.match(r"[^#/][^:]*:(FILEPATH|PATH)=(/.*)$", line.strip())
                if m and os.path.exists(m.group(2)):
                    files.add(m.group(2))
    return files


def files_from_cmake_trace(args):
    """Configure once more in a scratch folder with --trace: every CMake file it runs."""
    files = set()
    with tempfile.TemporaryDirectory(prefix="octet-deps-") as scratch:
        trace = os.path.join(scratch, "trace.json")
        subprocess.run(["cmake", "-S", HERE, "-B", os.path.join(scratch, "build"), *args,
                        "--trace-expand", "--trace-format=json-v1", "--trace-redirect=" + trace],
                       check=True, capture_output=True)
        with open(trace) as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if "file" in record:
                    files.add(record["file"])
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build_dirs", nargs="+", help="build folders whose compile and link steps to check")
    ap.add_argument("--drop", action="append", default=[], help="leave PKG out of the install list")
    ap.add_argument("--cmake-arg", action="append", default=[], help="passed to the traced configure")
    args = ap.parse_args()

    listed = [p for p in install_list() if p not in args.drop]
    packages = installed_packages()
    not_installed = [p for p in listed if p not in packages]
    if not_installed:
        sys.exit(f"check_install_list: listed but not installed: {' '.join(not_installed)}"
                 " (run scripts/install-deps.sh first)")
    essential = [n for n, (ess, _, _) in packages.items() if ess]
    allowed = closure(listed + essential, packages)

    read = files_from_cmake_trace(args.cmake_arg)
    for d in args.build_dirs:
        if not os.path.isdir(d):
            sys.exit(f"check_install_list: build folder '{d}' does not exist")
        read |= files_from_dep_files(d) | files_from_link_lines(d) | files_from_cmake_cache(d)
    read = {f for f in read if f.startswith(SYSTEM_PREFIXES)}

    owners = file_owners()
    missing = {}   # package -> files it supplied
    unowned = []
    for path in sorted(read):
        if not os.path.exists(path):
            continue
        owner = owner_of(path, owners)
        if owner is None:
            if not os.path.isdir(path):
                unowned.append(path)
        elif owner not in allowed:
            missing.setdefault(owner, []).append(path)

    for package, paths in sorted(missing.items()):
        print(f"check_install_list: the build reads {paths[0]}"
              f"{f' (and {len(paths) - 1} more files)' if len(paths) > 1 else ''} from package"
              f" '{package}', which scripts/install-deps.sh does not install", file=sys.stderr)
    for path in unowned:
        print(f"check_install_list: the build reads {path}, which no Debian package installed"
              " (installed by hand?)", file=sys.stderr)
    if missing or unowned:
        sys.exit(1)
    print(f"check_install_list: {len(read)} system files the build read all come from the"
          f" {len(listed)} listed packages and their dependencies ({len(allowed)} packages)")


if __name__ == "__main__":
    main()
