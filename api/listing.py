#!/usr/bin/env python3
"""Print the public API of a crate from its rustdoc JSON, one item a line.

    listing.py CRATE.json [--label TEXT] [--extern OTHER.json ...] [--minus BASE.json]

CRATE.json comes from
    RUSTC_BOOTSTRAP=1 cargo rustdoc -p CRATE --lib [--features ..] -- \
        -Z unstable-options --output-format json --document-hidden-items
(`api/check.sh` does that). Hidden items are documented so that they can be
counted; the listing leaves them out: it is the documented semver promise.

What a line is: a module, struct, enum, variant, named field, trait, trait item,
function, constant, static, type alias, macro, re-export of another crate's
item, an impl block (not auto-trait impls, not blanket impls from other crates)
or an item of an impl. Lines are sorted by path, with each type's fields,
variants, trait items and impls after it, so a change shows next to its type.

--extern names the JSON of a sibling crate whose items this crate names: they are
then written at their public path (`multi_account::session::Paths`) instead of
the private one where they are defined (`multi_account::session::paths::Paths`).
--minus prints only the lines that BASE.json's listing lacks (what a feature adds).

Python 3.11, standard library only.
"""

import argparse
import json
import re
import sys
from collections import defaultdict

# rustdoc JSON changes shape between format versions: refuse the ones this was
# not written against, rather than print a wrong listing.
SUPPORTED_FORMAT_VERSIONS = {57}

# The std prelude, written by its short name: the full definition paths
# (`core::iter::traits::iterator::Iterator`) are noise, and these never clash.
PRELUDE = {
    "core::option::Option", "core::result::Result", "alloc::string::String",
    "alloc::vec::Vec", "alloc::boxed::Box", "core::marker::Send",
    "core::marker::Sync", "core::marker::Sized", "core::marker::Copy",
    "core::marker::Unpin", "core::clone::Clone", "core::default::Default",
    "core::cmp::PartialEq", "core::cmp::Eq", "core::cmp::PartialOrd",
    "core::cmp::Ord", "core::convert::From", "core::convert::Into",
    "core::convert::TryFrom", "core::convert::TryInto", "core::convert::AsRef",
    "core::convert::AsMut", "core::ops::function::Fn", "core::ops::function::FnMut",
    "core::ops::function::FnOnce", "core::ops::drop::Drop",
    "core::iter::traits::iterator::Iterator",
    "core::iter::traits::collect::IntoIterator",
    "core::iter::traits::collect::Extend", "core::iter::traits::collect::FromIterator",
    "alloc::borrow::ToOwned", "alloc::string::ToString",
}

HIDDEN_ATTR = re.compile(r"^#\[doc\((.*\b)?hidden\b")


class UnsupportedJson(Exception):
    """The JSON has a shape this script does not know: fix the script, not the listing."""


def kind_of(item):
    """The item's kind: the one key of `inner` (`"struct"`, `"use"`, ..)."""
    return one_of(item["inner"], "item")[0]


def kind_and_data(item):
    """The item's kind and what rustdoc says about that kind."""
    return one_of(item["inner"], "item")


def is_hidden(item):
    """`#[doc(hidden)]` on the item itself (rustdoc keeps it as a plain attribute)."""
    return any(
        isinstance(attr, dict) and HIDDEN_ATTR.match(attr.get("other", ""))
        for attr in item["attrs"]
    )


def one_of(obj, what):
    """Split a serde enum value (`"unit"` or `{"tuple": [..]}`) into (variant, data)."""
    if isinstance(obj, str):
        return obj, None
    if isinstance(obj, dict) and len(obj) == 1:
        return next(iter(obj.items()))
    raise UnsupportedJson(f"{what}: {json.dumps(obj)[:200]}")


class Crate:
    """One rustdoc JSON file and the public paths of its items."""

    def __init__(self, path, externs=()):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        version = data.get("format_version")
        if version not in SUPPORTED_FORMAT_VERSIONS:
            raise UnsupportedJson(
                f"{path}: rustdoc JSON format_version {version}; api/listing.py handles "
                f"{sorted(SUPPORTED_FORMAT_VERSIONS)}: update it for the new format"
            )
        self.index = data["index"]
        self.summaries = data["paths"]
        self.root = str(data["root"])
        self.name = self.index[self.root]["name"]
        # Where other crates' items are public: definition path -> public path.
        self.extern_paths = {}
        for other in externs:
            self.extern_paths.update(other.public_paths_by_definition())
        # id -> {(path, hidden)}: every path at which an item can be named.
        self.reachable = defaultdict(set)
        # Items named in signatures with no public path, or only hidden ones:
        # reported on stderr when a listed line names them.
        self.unreachable_named = set()
        self.hidden_named = set()
        # Re-exports of items this JSON does not describe (other crates, primitives).
        self.foreign_reexports = []
        self.visit_module(self.root, (self.name,), hidden=False, chain=())
        self.reachable[self.root].add(((self.name,), False))

    # --- what is reachable, and at which path ---------------------------------

    def visit_module(self, module_id, path, hidden, chain):
        """Record every item of a module (and of its public submodules)."""
        if module_id in chain:  # `pub use self::*` and friends
            return
        chain = chain + (module_id,)
        for child_id in self.index[module_id]["inner"]["module"]["items"]:
            child = self.index.get(str(child_id))
            if child is None or child["visibility"] != "public":
                continue
            if kind_of(child) == "use":
                self.visit_use(child, path, hidden or is_hidden(child), chain)
            else:
                self.add_reachable(str(child_id), path + (child["name"],),
                                   hidden or is_hidden(child), chain)

    def visit_use(self, use_item, path, hidden, chain):
        """A `pub use`: the target gets this path; a glob brings in a module's items."""
        use = use_item["inner"]["use"]
        target_id = None if use["id"] is None else str(use["id"])
        target = self.index.get(target_id) if target_id else None
        if use["is_glob"]:
            if target is not None and kind_of(target) == "module":
                self.visit_module(target_id, path, hidden or is_hidden(target), chain)
            else:
                self.foreign_reexports.append((path + ("*",), target_id, use["source"] + "::*", hidden))
        elif target is not None:
            # Re-exporting an item out of a hidden module shows it; re-exporting a
            # hidden item does not (rustdoc's rule).
            self.add_reachable(target_id, path + (use["name"],), hidden or is_hidden(target), chain)
        else:
            self.foreign_reexports.append((path + (use["name"],), target_id, use["source"], hidden))

    def add_reachable(self, item_id, path, hidden, chain):
        self.reachable[item_id].add((path, hidden))
        if kind_of(self.index[item_id]) == "module":
            self.visit_module(item_id, path, hidden, chain)

    def canonical(self, item_id):
        """The path an item is listed under: its shortest visible one, else its
        shortest hidden one; and whether it is hidden everywhere."""
        places = self.reachable.get(item_id)
        if not places:
            return None, True
        visible = sorted((len(p), p) for p, h in places if not h)
        if visible:
            return visible[0][1], False
        return sorted((len(p), p) for p, _ in places)[0][1], True

    def public_paths_by_definition(self):
        """For a crate named by --extern: its definition paths -> public paths."""
        result = {}
        for item_id, summary in self.summaries.items():
            if summary["crate_id"] != 0 or item_id not in self.reachable:
                continue
            path, hidden = self.canonical(item_id)
            if path is not None and not hidden:
                result[tuple(summary["path"])] = "::".join(path)
        return result

    # --- naming items in signatures -------------------------------------------

    def item_path(self, item_id, written):
        """How a signature names an item: its public path here, a sibling crate's
        public path, a std prelude short name, or its definition path."""
        item_id = str(item_id)
        if item_id in self.reachable:
            path, hidden = self.canonical(item_id)
            if hidden:
                self.hidden_named.add("::".join(path))
            return "::".join(path)
        summary = self.summaries.get(item_id)
        if summary is None:
            return written  # rustdoc knows only how the source wrote it
        full = "::".join(summary["path"])
        if summary["crate_id"] == 0:
            self.unreachable_named.add(full)
            return full
        if tuple(summary["path"]) in self.extern_paths:
            return self.extern_paths[tuple(summary["path"])]
        return summary["path"][-1] if full in PRELUDE else full

    # --- rendering types and signatures ---------------------------------------

    def ty(self, t):
        """A type, written as Rust."""
        variant, data = one_of(t, "type")
        if variant == "resolved_path":
            return self.path(data)
        if variant in ("generic", "primitive"):
            return data
        if variant == "borrowed_ref":
            lifetime = data["lifetime"] + " " if data["lifetime"] else ""
            return "&" + lifetime + ("mut " if data["is_mutable"] else "") + self.pointee(data["type"])
        if variant == "raw_pointer":
            return ("*mut " if data["is_mutable"] else "*const ") + self.pointee(data["type"])
        if variant == "tuple":
            parts = [self.ty(x) for x in data]
            return "(" + parts[0] + ",)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
        if variant == "slice":
            return "[" + self.ty(data) + "]"
        if variant == "array":
            return "[" + self.ty(data["type"]) + "; " + data["len"] + "]"
        if variant == "impl_trait":
            return "impl " + self.bounds(data)
        if variant == "dyn_trait":
            parts = [self.hrtb(p["generic_params"]) + self.path(p["trait"]) for p in data["traits"]]
            if data["lifetime"]:
                parts.append(data["lifetime"])
            return "dyn " + " + ".join(parts)
        if variant == "function_pointer":
            sig = data["sig"]
            inputs = ", ".join(self.ty(arg_type) for _, arg_type in sig["inputs"])
            output = " -> " + self.ty(sig["output"]) if sig["output"] is not None else ""
            return self.hrtb(data["generic_params"]) + self.header(data["header"]) + f"fn({inputs}){output}"
        if variant == "qualified_path":
            self_type = self.ty(data["self_type"])
            name = data["name"] + self.args(data["args"])
            trait = data["trait"]
            # `T::Name` stays short as the source wrote it; `<T as Trait>::Name` stays full.
            if trait is None or trait["path"] == "":
                return f"{self_type}::{name}"
            return f"<{self_type} as {self.path(trait)}>::{name}"
        if variant == "infer":
            return "_"
        if variant == "pat":
            return self.ty(data["type"]) + " is _"
        raise UnsupportedJson(f"type {variant}")

    def pointee(self, t):
        """The type behind `&` or `*`: `&(dyn A + B)` needs its parentheses."""
        text = self.ty(t)
        if one_of(t, "type")[0] in ("dyn_trait", "impl_trait") and " + " in text:
            return "(" + text + ")"
        return text

    def path(self, p):
        """A path to a type or trait with its generic arguments."""
        return self.item_path(p["id"], p["path"]) + self.args(p["args"])

    def args(self, args):
        """Generic arguments: `<T, 'a, Item = U>` or `(A) -> B`."""
        if args is None:
            return ""
        variant, data = one_of(args, "generic args")
        if variant == "angle_bracketed":
            parts = [self.generic_arg(a) for a in data["args"]]
            parts += [self.constraint(c) for c in data["constraints"]]
            return "<" + ", ".join(parts) + ">" if parts else ""
        if variant == "parenthesized":
            output = " -> " + self.ty(data["output"]) if data["output"] is not None else ""
            return "(" + ", ".join(self.ty(t) for t in data["inputs"]) + ")" + output
        if variant == "return_type_notation":
            return "(..)"
        raise UnsupportedJson(f"generic args {variant}")

    def generic_arg(self, arg):
        variant, data = one_of(arg, "generic arg")
        if variant == "lifetime":
            return data
        if variant == "type":
            return self.ty(data)
        if variant == "const":
            return data["expr"]
        if variant == "infer":
            return "_"
        raise UnsupportedJson(f"generic arg {variant}")

    def constraint(self, c):
        """`Item = T` or `Item: Bound` inside generic arguments."""
        name = c["name"] + self.args(c["args"])
        variant, data = one_of(c["binding"], "constraint")
        if variant == "equality":
            return f"{name} = {self.term(data)}"
        if variant == "constraint":
            return f"{name}: {self.bounds(data)}"
        raise UnsupportedJson(f"constraint {variant}")

    def term(self, term):
        variant, data = one_of(term, "term")
        if variant == "type":
            return self.ty(data)
        if variant == "constant":
            return data["expr"]
        raise UnsupportedJson(f"term {variant}")

    def bounds(self, bounds):
        """`Trait<..> + ?Sized + 'a + use<..>`."""
        parts = []
        for bound in bounds:
            variant, data = one_of(bound, "bound")
            if variant == "trait_bound":
                modifier = {"none": "", "maybe": "?", "maybe_const": "~const "}[data["modifier"]]
                parts.append(self.hrtb(data["generic_params"]) + modifier + self.path(data["trait"]))
            elif variant == "outlives":
                parts.append(data)
            elif variant == "use":
                parts.append("use<" + ", ".join(next(iter(a.values())) for a in data) + ">")
            else:
                raise UnsupportedJson(f"bound {variant}")
        return " + ".join(parts)

    def hrtb(self, params):
        """`for<'a> ` of a higher-ranked bound."""
        return "for<" + ", ".join(self.param(p) for p in params) + "> " if params else ""

    def param(self, p):
        """One generic parameter with its bounds and default."""
        variant, data = one_of(p["kind"], "generic param")
        if variant == "lifetime":
            return p["name"] + (": " + " + ".join(data["outlives"]) if data["outlives"] else "")
        if variant == "type":
            text = p["name"] + (": " + self.bounds(data["bounds"]) if data["bounds"] else "")
            return text + (" = " + self.ty(data["default"]) if data["default"] is not None else "")
        if variant == "const":
            text = f"const {p['name']}: {self.ty(data['type'])}"
            return text + (" = " + data["default"] if data["default"] is not None else "")
        raise UnsupportedJson(f"generic param {variant}")

    def generics(self, g):
        """`<..>` of an item, leaving out the parameters `impl Trait` arguments make."""
        params = [p for p in g["params"]
                  if not (isinstance(p["kind"], dict) and p["kind"].get("type", {}).get("is_synthetic"))]
        return "<" + ", ".join(self.param(p) for p in params) + ">" if params else ""

    def where_clause(self, g):
        parts = []
        for predicate in g["where_predicates"]:
            variant, data = one_of(predicate, "where predicate")
            if variant == "bound_predicate":
                parts.append(self.hrtb(data["generic_params"]) + self.ty(data["type"]) + ": "
                             + self.bounds(data["bounds"]))
            elif variant == "lifetime_predicate":
                parts.append(data["lifetime"] + ": " + " + ".join(data["outlives"]))
            elif variant == "eq_predicate":
                parts.append(self.ty(data["lhs"]) + " = " + self.term(data["rhs"]))
            else:
                raise UnsupportedJson(f"where predicate {variant}")
        return " where " + ", ".join(parts) if parts else ""

    def header(self, h):
        """`const async unsafe extern "C" ` before `fn`."""
        text = ("const " if h["is_const"] else "") + ("async " if h["is_async"] else "")
        text += "unsafe " if h["is_unsafe"] else ""
        abi, data = one_of(h["abi"], "abi")
        if abi != "Rust":
            name = data if abi == "other" else abi.lower()
            unwind = "-unwind" if isinstance(data, dict) and data.get("unwind") else ""
            text += f'extern "{name}{unwind}" '
        return text

    def signature(self, function):
        """`<G>(args) -> T where ..` of a function."""
        sig = function["sig"]
        args = [self.argument(name, t) for name, t in sig["inputs"]]
        if sig["is_c_variadic"]:
            args.append("...")
        output = " -> " + self.ty(sig["output"]) if sig["output"] is not None else ""
        g = function["generics"]
        return self.generics(g) + "(" + ", ".join(args) + ")" + output + self.where_clause(g)

    def argument(self, name, t):
        """`self`, `&mut self`, `self: Box<Self>` or `name: Type`."""
        if name == "self":
            variant, data = one_of(t, "type")
            if variant == "generic" and data == "Self":
                return "self"
            if variant == "borrowed_ref" and data["type"] == {"generic": "Self"}:
                lifetime = data["lifetime"] + " " if data["lifetime"] else ""
                return "&" + lifetime + ("mut " if data["is_mutable"] else "") + "self"
        return f"{name}: {self.ty(t)}"

    # --- lines -------------------------------------------------------------------

    def attributes(self, item):
        """The attributes that are part of the promise, as a line prefix."""
        text = "#[deprecated] " if item.get("deprecation") else ""
        return text + ("#[non_exhaustive] " if "non_exhaustive" in item["attrs"] else "")

    def item_line(self, item, path):
        """The line of a module-level item at one of its public paths."""
        kind, data = kind_and_data(item)
        name = "::".join(path)
        prefix = self.attributes(item)
        if kind == "module":
            return f"pub mod {name}"
        if kind == "struct":
            g = data["generics"]
            shape = self.struct_shape(data["kind"])
            return f"{prefix}pub struct {name}{self.generics(g)}{shape}{self.where_clause(g)}"
        if kind == "union":
            g = data["generics"]
            return f"{prefix}pub union {name}{self.generics(g)}{self.where_clause(g)}"
        if kind == "enum":
            g = data["generics"]
            return f"{prefix}pub enum {name}{self.generics(g)}{self.where_clause(g)}"
        if kind == "trait":
            g = data["generics"]
            supertraits = ": " + self.bounds(data["bounds"]) if data["bounds"] else ""
            marks = ("unsafe " if data["is_unsafe"] else "") + ("auto " if data["is_auto"] else "")
            return f"{prefix}pub {marks}trait {name}{self.generics(g)}{supertraits}{self.where_clause(g)}"
        if kind == "function":
            return f"{prefix}pub {self.header(data['header'])}fn {name}{self.signature(data)}"
        if kind == "type_alias":
            g = data["generics"]
            aliased = self.ty(data["type"])
            return f"{prefix}pub type {name}{self.generics(g)} = {aliased}{self.where_clause(g)}"
        if kind == "constant":
            value = " = " + data["const"]["expr"] if data["const"]["is_literal"] else ""
            return f"{prefix}pub const {name}: {self.ty(data['type'])}{value}"
        if kind == "static":
            mutable = "mut " if data["is_mutable"] else ""
            return f"{prefix}pub static {mutable}{name}: {self.ty(data['type'])}"
        if kind == "macro":
            return f"{prefix}pub macro {name}!"
        if kind == "proc_macro":
            return self.proc_macro_line(data, name)
        if kind == "trait_alias":
            bounds = self.bounds(data["params"])
            return f"{prefix}pub trait {name}{self.generics(data['generics'])} = {bounds}"
        raise UnsupportedJson(f"item kind {kind} at {name}")

    def proc_macro_line(self, data, name):
        """`pub derive macro X (attributes: a, b)`, `pub attribute macro #[x]`, `pub macro x!`."""
        if data["kind"] == "derive":
            helpers = f" (attributes: {', '.join(data['helpers'])})" if data["helpers"] else ""
            return f"pub derive macro {name}{helpers}"
        if data["kind"] == "attr":
            return f"pub attribute macro {name}"
        return f"pub macro {name}!"

    def struct_shape(self, kind):
        """`;`, `(pub T, _)`, ` {}` or ` { /* private fields */ }`: what the
        struct line says about its fields (named fields get lines of their own)."""
        variant, data = one_of(kind, "struct kind")
        if variant == "unit":
            return ";"
        if variant == "tuple":
            return "(" + ", ".join(self.tuple_field(f, "pub ") for f in data) + ")"
        if variant == "plain":
            hidden = any(is_hidden(self.index[str(f)]) for f in data["fields"])
            if data["has_stripped_fields"] or hidden:
                return " { /* private fields */ }"
            return " {}" if not data["fields"] else ""
        raise UnsupportedJson(f"struct kind {variant}")

    def tuple_field(self, field_id, visibility):
        """`pub T` (`T` in a variant), or `_` for a private or hidden field."""
        field = None if field_id is None else self.index[str(field_id)]
        if field is None or is_hidden(field):
            return "_"
        return visibility + self.ty(field["inner"]["struct_field"])

    def variant_line(self, owner, variant):
        """A variant with its fields and discriminant: `pub E::V(T)`, `pub E::V { a: T }`."""
        data = variant["inner"]["variant"]
        shape, fields = one_of(data["kind"], "variant kind")
        text = f"{self.attributes(variant)}pub {owner}::{variant['name']}"
        if shape == "tuple":
            text += "(" + ", ".join(self.tuple_field(f, "") for f in fields) + ")"
        elif shape == "struct":
            named = [self.index[str(f)] for f in fields["fields"]]
            parts = [f"{f['name']}: {self.ty(f['inner']['struct_field'])}" for f in named if not is_hidden(f)]
            if fields["has_stripped_fields"] or len(parts) < len(named):
                parts.append("..")
            text += " { " + ", ".join(parts) + " }"
        if data["discriminant"] is not None:
            text += " = " + data["discriminant"]["expr"]
        return text

    def assoc_line(self, item, owner, visibility, in_trait):
        """An item of a trait or impl: `fn`, `const` or `type`, named under its owner."""
        kind, data = kind_and_data(item)
        name = f"{owner}::{item['name']}"
        prefix = self.attributes(item) + visibility
        if kind == "function":
            provided = " { ... }" if in_trait and data["has_body"] else ""
            return f"{prefix}{self.header(data['header'])}fn {name}{self.signature(data)}{provided}"
        if kind == "assoc_const":
            value = " = " + data["value"] if in_trait and data["value"] is not None else ""
            return f"{prefix}const {name}: {self.ty(data['type'])}{value}"
        if kind == "assoc_type":
            g = data["generics"]
            bounds = ": " + self.bounds(data["bounds"]) if data["bounds"] else ""
            value = " = " + self.ty(data["type"]) if data["type"] is not None else ""
            return f"{prefix}type {name}{self.generics(g)}{bounds}{value}{self.where_clause(g)}"
        raise UnsupportedJson(f"associated item kind {kind} at {name}")

    def impl_line(self, data):
        """`impl<G> Trait for Type where ..` or `impl<G> Type where ..`."""
        g = data["generics"]
        head = ("unsafe " if data["is_unsafe"] else "") + "impl" + self.generics(g) + " "
        if data["trait"] is not None:
            head += ("!" if data["is_negative"] else "") + self.path(data["trait"]) + " for "
        return head + self.ty(data["for"]) + self.where_clause(g)

    # --- the listing -----------------------------------------------------------

    def entries(self):
        """Every line, public and hidden: (sort key, text, hidden). The key puts
        an item's members right after it: (path, group, name, order, text)."""
        result = []
        for item_id, places in self.reachable.items():
            item = self.index[item_id]
            canonical, _ = self.canonical(item_id)
            for path, hidden in places:
                result.append(((path, 0, "", 0, ""), self.item_line(item, path), hidden))
            # Members are listed once, under the item's canonical path.
            hidden_everywhere = self.canonical(item_id)[1]
            result += self.member_entries(item, canonical, hidden_everywhere)
        for path, target_id, source, hidden in self.foreign_reexports:
            result.append(((path, 0, "", 0, ""), self.reexport_line(path, target_id, source), hidden))
        result += self.impl_entries()
        return result

    def member_entries(self, item, path, hidden):
        """Named fields, variants and trait items of an item."""
        owner = "::".join(path)
        kind, data = kind_and_data(item)
        result = []
        if kind in ("struct", "union"):
            if kind == "union":
                fields = data["fields"]
            else:
                shape, shape_data = one_of(data["kind"], "struct kind")
                fields = shape_data["fields"] if shape == "plain" else []
            for field_id in fields:
                field = self.index[str(field_id)]
                text = f"pub {owner}::{field['name']}: {self.ty(field['inner']['struct_field'])}"
                result.append(((path, 1, field["name"], 0, ""), text, hidden or is_hidden(field)))
        elif kind == "enum":
            for variant_id in data["variants"]:
                variant = self.index[str(variant_id)]
                result.append(((path, 1, variant["name"], 0, ""), self.variant_line(owner, variant),
                               hidden or is_hidden(variant)))
        elif kind == "trait":
            for member_id in data["items"]:
                member = self.index[str(member_id)]
                result.append(((path, 2, member["name"], 0, ""), self.assoc_line(member, owner, "", True),
                               hidden or is_hidden(member)))
        return result

    def reexport_line(self, path, target_id, source):
        """`pub use here = there (kind)` for an item of another crate."""
        summary = self.summaries.get(target_id) if target_id else None
        if summary is None:
            return f"pub use {'::'.join(path)} = {source}"
        target = self.item_path(target_id, source)
        if path[-1] == "*":
            target += "::*"
        kind = summary["kind"].replace("_", " ").replace("proc derive", "derive macro").replace(
            "proc attribute", "attribute macro")
        return f"pub use {'::'.join(path)} = {target} ({kind})"

    def impl_entries(self):
        """Impl blocks written in this crate (not auto-trait or blanket ones),
        listed under the type they are for (else the trait, else a local type in
        their arguments), with their items."""
        result = []
        for item in self.index.values():
            if kind_of(item) != "impl" or item["crate_id"] != 0:
                continue
            data = item["inner"]["impl"]
            if data["is_synthetic"] or data["blanket_impl"] is not None:
                continue
            owner_id = self.impl_owner(data)
            if owner_id is None:
                continue  # about private types only
            owner_path, owner_hidden = self.canonical(owner_id)
            hidden = owner_hidden or is_hidden(item) or self.trait_hidden(data)
            header = self.impl_line(data)
            group = 3 if data["trait"] is None else 4
            result.append(((owner_path, group, header, 0, ""), header, hidden))
            for member_id in data["items"]:
                member = self.index.get(str(member_id))
                if member is None or member["visibility"] not in ("public", "default"):
                    continue
                visibility = "pub " if data["trait"] is None else ""
                text = self.assoc_line(member, self.ty(data["for"]), visibility, False)
                result.append(((owner_path, group, header, 1, member["name"] + " " + text), text,
                               hidden or is_hidden(member)))
        return result

    def impl_owner(self, data):
        """The reachable local item an impl is listed under."""
        for part in (data["for"], data["trait"], data["generics"]):
            for item_id in referenced_ids(part):
                if item_id in self.reachable and item_id != self.root:
                    return item_id
        return None

    def trait_hidden(self, data):
        """rustdoc leaves out impls of this crate's hidden traits."""
        if data["trait"] is None:
            return False
        trait_id = str(data["trait"]["id"])
        return trait_id in self.reachable and self.canonical(trait_id)[1]


def referenced_ids(obj):
    """The ids of the types and traits a piece of JSON names, in order."""
    if isinstance(obj, dict):
        if "id" in obj and "path" in obj and "args" in obj:  # a rustdoc `Path`
            yield str(obj["id"])
        for value in obj.values():
            yield from referenced_ids(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from referenced_ids(value)


def render(krate):
    """Sorted, de-duplicated (visible lines, hidden lines)."""
    seen = {}
    for key, text, hidden in krate.entries():
        # A line made twice (two `pub use` of one item under one name) counts once.
        seen.setdefault((key, text), hidden)
    visible = [text for (key, text), hidden in sorted(seen.items()) if not hidden]
    hidden = [text for (key, text), hidden in sorted(seen.items()) if hidden]
    return visible, hidden


def hidden_roots(krate):
    """The hidden module-level paths whose parents are visible: what a reader
    should know is there without its content being listed."""
    roots = set()
    for item_id, places in krate.reachable.items():
        for path, hidden in places:
            if hidden:
                roots.add(path)
    return sorted(p for p in roots if not any(p[:i] in roots for i in range(1, len(p))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("json", help="the crate's rustdoc JSON")
    parser.add_argument("--label", default="", help="what the listing covers, for its header")
    parser.add_argument("--extern", dest="externs", action="append", default=[],
                        help="rustdoc JSON of a crate this one names (repeatable)")
    parser.add_argument("--minus", help="print only what this JSON's listing lacks")
    options = parser.parse_args()
    try:
        externs = [Crate(path) for path in options.externs]
        krate = Crate(options.json, externs)
        visible, hidden = render(krate)
        roots = hidden_roots(krate)
        if options.minus:
            base_visible, base_hidden = (set(lines) for lines in render(Crate(options.minus, externs)))
            visible = [line for line in visible if line not in base_visible]
            hidden = [line for line in hidden if line not in base_hidden]
            roots = []
    except UnsupportedJson as error:
        sys.exit(f"api/listing.py: unsupported rustdoc JSON: {error}")
    label = options.label or f"The public API of {krate.name}"
    # `//` as in Rust: a line starting with `#` is an attribute (`#[non_exhaustive]`).
    out = [f"// {label}: {len(visible)} items.",
           "// Generated by api/listing.py from rustdoc JSON; after a deliberate change run",
           "// `bash api/check.sh --bless` and commit this file with the change.",
           f"// Left out, as #[doc(hidden)]: {len(hidden)} items" + (", under:" if roots else ".")]
    out += [f"//   {'::'.join(p)}" for p in roots]
    sys.stdout.write("\n".join(out + visible) + "\n")
    report_leaks(krate, visible)


def report_leaks(krate, visible):
    """Say on stderr which listed lines name items a user cannot name (no public
    path) or should not (only hidden paths): worth a look, not an error."""
    for names, why in ((krate.unreachable_named, "has no public path"),
                       (krate.hidden_named, "is #[doc(hidden)]")):
        for name in sorted(names):
            users = [line for line in visible if name in line]
            if users:
                print(f"api/listing.py: note: {name} {why}, and {len(users)} listed lines name it,"
                      f" e.g. {users[0][:160]}", file=sys.stderr)


if __name__ == "__main__":
    main()
