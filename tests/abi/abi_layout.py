#!/usr/bin/env python3
"""Strict layout check of the public structs, between two abidw dumps.

abidiff's suppression language can say "a member was appended at the end"
but not "and nothing else changed", nor "only for structs that begin with
a size or version field".  This script says exactly that, so that
tests/abi/funnelcore.suppr may accept struct growth without also accepting
reordered, renamed or retyped members.

For every fnl_* struct that the baseline dump defines in include/*.h:
  - every baseline member must still exist, in the same position, at the
    same bit offset, with the same name and the same type (compared
    through a spelled-out signature, typedefs expanded);
  - the struct may grow (new members after the last baseline member, a
    larger size) only if its first member is `uint32_t size` or
    `uint32_t version`: the library reads such a struct by the caller's
    size or version.  Any other struct is embedded in arrays or in other
    structs by callers, so its size is frozen;
  - it may never shrink.

Usage: abi_layout.py BASELINE.abi CURRENT.abi
Exit status: 0 when the layouts are compatible, 1 otherwise (with a
report on stdout), 2 when a dump cannot be read.
"""
import re
import sys
import xml.etree.ElementTree as ET

# Where public types are defined (as in funnelcore.suppr): include/*.h.
PUBLIC = re.compile(r"(^|/)include/[^/]+[.]h$")

TYPE_TAGS = ("type-decl", "typedef-decl", "pointer-type-def",
             "qualified-type-def", "array-type-def", "function-type",
             "class-decl", "union-decl", "enum-decl", "reference-type-def")


def load(path):
    root = ET.parse(path).getroot()
    types = {}
    structs = {}
    for el in root.iter():
        if el.tag not in TYPE_TAGS:
            continue
        tid = el.get("id")
        if tid is None:
            continue
        full = el.get("is-declaration-only") != "yes"
        # The same type appears once per translation unit; keep a full
        # definition over a declaration.
        if tid not in types or (full and types[tid].get(
                "is-declaration-only") == "yes"):
            types[tid] = el
        name = el.get("name") or ""
        if (el.tag == "class-decl" and el.get("is-struct") == "yes"
                and full and name.startswith("fnl_")
                and PUBLIC.search(el.get("filepath") or "")
                and name not in structs):
            structs[name] = el
    return types, structs


def sig(types, tid, depth=0):
    """A spelled-out description of a type: equal signatures mean the
    same layout and meaning as far as a caller can tell."""
    if depth > 12:
        return "..."
    el = types.get(tid)
    if el is None:
        return tid  # 'void' and the like
    t = el.tag
    if t == "type-decl":
        return "%s:%s" % (el.get("name"), el.get("size-in-bits", "?"))
    if t == "typedef-decl":
        return "%s=(%s)" % (el.get("name"),
                            sig(types, el.get("type-id"), depth + 1))
    if t == "pointer-type-def" or t == "reference-type-def":
        return sig(types, el.get("type-id"), depth + 1) + "*"
    if t == "qualified-type-def":
        q = [k for k in ("const", "volatile", "restrict") if el.get(k) == "yes"]
        return " ".join(q + [sig(types, el.get("type-id"), depth + 1)])
    if t == "array-type-def":
        return "%s[%s]" % (sig(types, el.get("element-type-id"), depth + 1),
                           el.get("size-in-bits", "?"))
    if t == "function-type":
        params = [sig(types, p.get("type-id"), depth + 1)
                  for p in el.findall("parameter")]
        ret = el.find("return")
        r = sig(types, ret.get("type-id"), depth + 1) if ret is not None else "?"
        return "fn(%s)->%s" % (",".join(params), r)
    # struct, union, enum: by name (their own layout is checked separately
    # when they are fnl_ structs; a pointer to them does not depend on it).
    kind = "struct" if el.get("is-struct") == "yes" else t.split("-")[0]
    name = el.get("name") or "<anonymous %s bits>" % el.get("size-in-bits")
    return "%s %s" % (kind, name)


def members(types, el):
    out = []
    for dm in el.findall("data-member"):
        if dm.get("static") == "yes":
            continue
        v = dm.find("var-decl")
        out.append((v.get("name"), int(dm.get("layout-offset-in-bits", "0")),
                    sig(types, v.get("type-id"))))
    return out


def growable(mems):
    if not mems:
        return False
    name, off, s = mems[0]
    return off == 0 and name in ("size", "version") and s.startswith("uint32_t=")


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    try:
        btypes, bstructs = load(argv[1])
        ctypes_, cstructs = load(argv[2])
    except (OSError, ET.ParseError) as e:
        print("abi_layout: cannot read a dump: %s" % e)
        return 2
    problems = []
    for name in sorted(bstructs):
        b = bstructs[name]
        c = cstructs.get(name)
        if c is None:
            problems.append("struct %s: defined in the baseline, but no "
                            "exported function reaches it any more "
                            "(removed or renamed?)" % name)
            continue
        bm = members(btypes, b)
        cm = members(ctypes_, c)
        bsize = int(b.get("size-in-bits", "0"))
        csize = int(c.get("size-in-bits", "0"))
        for i, (mname, moff, msig) in enumerate(bm):
            if i >= len(cm):
                problems.append("struct %s: member '%s' (offset %d bits) "
                                "was removed" % (name, mname, moff))
                break
            cname, coff, csig = cm[i]
            if (cname, coff, csig) != (mname, moff, msig):
                problems.append(
                    "struct %s: member %d changed: was '%s' at bit %d of "
                    "type %s, is '%s' at bit %d of type %s"
                    % (name, i, mname, moff, msig, cname, coff, csig))
        if csize < bsize:
            problems.append("struct %s shrank from %d to %d bits"
                            % (name, bsize, csize))
        elif (csize > bsize or len(cm) > len(bm)) and not growable(bm):
            problems.append(
                "struct %s grew from %d to %d bits, but it does not begin "
                "with 'uint32_t size' or 'uint32_t version': callers embed "
                "it or pass arrays of it, so its size is part of the ABI"
                % (name, bsize, csize))
    if problems:
        print("Public struct layout changes that old callers would not "
              "survive:")
        for p in problems:
            print("  - " + p)
        return 1
    print("ok - %d public structs keep their layout" % len(bstructs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
