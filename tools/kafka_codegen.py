#!/usr/bin/env python3
"""Generates the C++ Kafka message codecs from the JSON schemas in schemas/kafka.

Usage:
  kafka_codegen.py --schemas DIR --out DIR        generate <snake_name>.h/.cc per
                                                  message, api_registry.h/.cc and
                                                  test_samples.h into --out
  kafka_codegen.py --schemas DIR --list-outputs   print the generated file names
  kafka_codegen.py --strip-schemas SRC DST [NAME..]
                                                  copy SRC/NAME.json to DST with every //
                                                  comment removed; without names,
                                                  refresh the schemas DST already has

Python 3 standard library only: it runs at build time on any machine.
"""

import argparse
import json
import os
import re
import sys

# --------------------------------------------------------------------------
# Schema comment stripping
# --------------------------------------------------------------------------


def strip_comments(text):
    """Removes // line comments outside JSON strings; drops lines left empty."""
    out_lines = []
    for line in text.splitlines():
        kept = []
        in_string = False
        i = 0
        while i < len(line):
            ch = line[i]
            if in_string:
                kept.append(ch)
                if ch == "\\" and i + 1 < len(line):
                    kept.append(line[i + 1])
                    i += 1
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
                kept.append(ch)
            elif line.startswith("//", i):
                break
            else:
                kept.append(ch)
            i += 1
        stripped = "".join(kept).rstrip()
        had_comment = len(stripped) < len(line.rstrip())
        if stripped or not had_comment:
            out_lines.append(stripped)
    # Collapse the blank runs left where comment blocks were.
    text = "\n".join(out_lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"


def strip_schemas(src_dir, dst_dir, names):
    os.makedirs(dst_dir, exist_ok=True)
    if not names:
        names = sorted(f[:-len(".json")] for f in os.listdir(dst_dir) if f.endswith(".json"))
    for name in names:
        with open(os.path.join(src_dir, name + ".json"), encoding="utf-8") as f:
            stripped = strip_comments(f.read())
        json.loads(stripped)  # the result must stay valid JSON
        write_if_changed(os.path.join(dst_dir, name + ".json"), stripped)


# --------------------------------------------------------------------------
# Schema model
# --------------------------------------------------------------------------


class CodegenError(Exception):
    pass


class Versions:
    """An inclusive version interval; hi None means open-ended; empty if lo is None."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(spec):
        spec = spec.strip()
        if spec == "none":
            return Versions(None, None)
        if spec.endswith("+"):
            return Versions(int(spec[:-1]), None)
        if "-" in spec:
            lo, hi = spec.split("-")
            return Versions(int(lo), int(hi))
        return Versions(int(spec), int(spec))

    def empty(self):
        return self.lo is None

    def intersect(self, other):
        if self.empty() or other.empty():
            return Versions(None, None)
        lo = max(self.lo, other.lo)
        his = [h for h in (self.hi, other.hi) if h is not None]
        hi = min(his) if his else None
        if hi is not None and hi < lo:
            return Versions(None, None)
        return Versions(lo, hi)

    def hull(self, other):
        if self.empty():
            return other
        if other.empty():
            return self
        hi = None if self.hi is None or other.hi is None else max(self.hi, other.hi)
        return Versions(min(self.lo, other.lo), hi)

    def covers(self, other):
        """True if every version of other is in self."""
        if other.empty():
            return True
        if self.empty() or self.lo > other.lo:
            return False
        return self.hi is None or (other.hi is not None and self.hi >= other.hi)

    def contains(self, version):
        return not self.empty() and self.lo <= version and (self.hi is None or version <= self.hi)

    def condition(self, within):
        """C++ test that version is in self, given version is known to be in within.

        Returns "true"/"false" when the answer does not depend on version.
        """
        present = self.intersect(within)
        if present.empty():
            return "false"
        tests = []
        if present.lo > within.lo:
            tests.append(f"version >= {present.lo}")
        if present.hi is not None and (within.hi is None or present.hi < within.hi):
            tests.append(f"version <= {present.hi}")
        return " && ".join(tests) if tests else "true"


INT_TYPES = {
    "int8": ("int8_t", "Int8", -(2**7), 2**7 - 1),
    "int16": ("int16_t", "Int16", -(2**15), 2**15 - 1),
    "int32": ("int32_t", "Int32", -(2**31), 2**31 - 1),
    "int64": ("int64_t", "Int64", -(2**63), 2**63 - 1),
    "uint16": ("uint16_t", "Uint16", 0, 2**16 - 1),
    "uint32": ("uint32_t", "Uint32", 0, 2**32 - 1),
}
# Names the generated code uses unqualified inside message structs, so a
# schema struct must not shadow them.
RESERVED_TYPE_NAMES = {"Reader", "Writer", "Records", "Uuid", "RawTaggedField", "SharedSlice",
                       "DecodeError"}
CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr constinit const_cast
continue co_await co_return co_yield decltype default delete do double dynamic_cast else enum
explicit export extern false float for friend goto if inline int long mutable namespace new
noexcept not not_eq nullptr operator or or_eq private protected public register reinterpret_cast
requires return short signed sizeof static static_assert static_cast struct switch template this
thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
wchar_t while xor xor_eq""".split())


# Parameter names of the generated functions; a member so named gets a "_"
# suffix like a keyword would. Generated locals all end in "_", which member
# names only do when escaped from this set or CPP_KEYWORDS, so locals never
# shadow members.
PARAMETER_NAMES = {"w", "r", "s", "n", "version", "nulls"}


def snake_case(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower()
    return s + "_" if s in CPP_KEYWORDS or s in PARAMETER_NAMES else s


class FieldType:
    """kind: an INT_TYPES key, bool, float64, string, bytes, uuid, records, struct or array."""

    def __init__(self, spec):
        if spec.startswith("[]"):
            self.kind = "array"
            self.element = FieldType(spec[2:])
            if self.element.kind == "array":
                raise CodegenError(f"nested arrays are not supported: {spec}")
        elif spec in INT_TYPES or spec in ("bool", "float64", "string", "bytes", "uuid", "records"):
            self.kind = spec
        elif spec[:1].isupper():
            self.kind = "struct"
            self.struct_name = spec
        else:
            raise CodegenError(f"unknown field type {spec}")

    def struct_type(self):
        """The struct this type refers to directly or through an array, else None."""
        if self.kind == "struct":
            return self.struct_name
        if self.kind == "array" and self.element.kind == "struct":
            return self.element.struct_name
        return None


class Field:
    def __init__(self, spec, owner):
        self.name = spec["name"]
        self.member = snake_case(self.name)
        self.label = f"{owner}.{self.name}"  # names the field in decode errors
        self.type = FieldType(spec["type"])
        self.versions = Versions.parse(spec["versions"])
        self.nullable = Versions.parse(spec.get("nullableVersions", "none")).intersect(self.versions)
        self.tag = spec.get("tag")
        self.tagged = Versions.parse(spec.get("taggedVersions", "none"))
        if (self.tag is None) != self.tagged.empty():
            raise CodegenError(f"{self.label}: tag and taggedVersions go together")
        if not self.tagged.empty() and self.tagged.hi is not None and self.tagged.hi != self.versions.hi:
            raise CodegenError(f"{self.label}: taggedVersions must reach the last version")
        # Versions in which the field sits in the fixed part rather than the tag section.
        self.untagged = self.versions if self.tagged.empty() else Versions(
            self.versions.lo, self.tagged.lo - 1)
        if self.untagged.hi is not None and self.untagged.hi < self.untagged.lo:
            self.untagged = Versions(None, None)
        self.flexible_override = (Versions.parse(spec["flexibleVersions"])
                                  if "flexibleVersions" in spec else None)
        default = spec.get("default")
        # Schemas write defaults as strings, numbers or booleans; keep one form.
        self.default = str(default).lower() if isinstance(default, bool) else (
            None if default is None else str(default))
        if self.type.kind == "struct" and not self.nullable.empty():
            raise CodegenError(f"{self.label}: nullable struct fields are not supported")
        if not self.nullable.empty() and self.type.kind not in ("string", "bytes", "records",
                                                                "array"):
            raise CodegenError(f"{self.label}: type {self.type.kind} cannot be nullable")
        self.inline_fields = spec.get("fields")
        if self.inline_fields is not None and self.type.struct_type() is None:
            raise CodegenError(f"{self.label}: only struct types have fields")

    @property
    def optional(self):
        return not self.nullable.empty()


class Struct:
    def __init__(self, name, field_specs, message):
        if name in RESERVED_TYPE_NAMES:
            raise CodegenError(f"struct name {name} clashes with a support type")
        self.name = name
        self.fields = [Field(f, name) for f in field_specs]
        self.versions = Versions(None, None)  # hull of the versions it is used in
        self.message = message
        tags = [f.tag for f in self.fields if f.tag is not None]
        if len(tags) != len(set(tags)):
            raise CodegenError(f"{name}: duplicate tags")
        members = [f.member for f in self.fields]
        if len(members) != len(set(members)) or "unknown_tagged_fields" in members:
            raise CodegenError(f"{name}: member names clash")

    def can_carry_tags(self):
        return not self.versions.intersect(self.message.flexible).empty()

    def tagged_fields(self):
        return sorted((f for f in self.fields if f.tag is not None), key=lambda f: f.tag)


class Message:
    def __init__(self, schema, path):
        self.name = schema["name"]
        self.path = path
        self.kind = schema["type"]
        self.api_key = schema.get("apiKey")
        self.valid = Versions.parse(schema["validVersions"])
        if self.valid.hi is None:
            raise CodegenError(f"{self.name}: validVersions must be bounded")
        self.flexible = Versions.parse(schema.get("flexibleVersions", "none"))
        if not self.flexible.empty() and self.flexible.hi is not None:
            raise CodegenError(f"{self.name}: flexibleVersions must be open-ended")
        self.file_stem = snake_case(self.name).rstrip("_")
        self.structs = {}  # every nested and common struct, by name
        self.top = Struct(self.name, schema["fields"], self)
        self.top.versions = self.valid
        for common in schema.get("commonStructs", []):
            self._register(Struct(common["name"], common["fields"], self))
        self._collect_inline(self.top)
        self._assign_versions(self.top)
        self._check_nonzero_array_elements()

    def first_flexible(self):
        if self.flexible.empty() or self.flexible.lo > self.valid.hi:
            return -1
        return self.flexible.lo

    def _register(self, struct):
        if struct.name in self.structs or struct.name == self.name:
            raise CodegenError(f"{self.name}: struct {struct.name} defined twice")
        self.structs[struct.name] = struct
        self._collect_inline(struct)

    def _collect_inline(self, struct):
        for field in struct.fields:
            if field.inline_fields is not None:
                self._register(Struct(field.type.struct_type(), field.inline_fields, self))

    def _assign_versions(self, struct):
        for field in struct.fields:
            child = field.type.struct_type()
            if child is None:
                continue
            if child not in self.structs:
                raise CodegenError(f"{field.label}: unknown struct {child}")
            used = field.versions.intersect(struct.versions)
            target = self.structs[child]
            if not target.versions.covers(used):
                target.versions = target.versions.hull(used)
                self._assign_versions(target)

    def _check_nonzero_array_elements(self):
        # The decoder rejects array lengths above the bytes left, which is only
        # sound if every element encodes to at least one byte.
        for struct in [self.top, *self.structs.values()]:
            for field in struct.fields:
                element = field.type.element if field.type.kind == "array" else None
                if element is None or element.kind != "struct":
                    continue
                target = self.structs[element.struct_name]
                used = field.versions.intersect(struct.versions)
                if used.empty():
                    continue
                for version in range(used.lo, (used.hi if used.hi is not None else self.valid.hi) + 1):
                    if self.flexible.contains(version):
                        continue  # the tag section is at least one byte
                    if not any(f.untagged.contains(version) for f in target.fields):
                        raise CodegenError(f"{field.label}: elements may be empty in v{version}")

    def ordered_structs(self):
        """Nested structs, each after the structs its fields use."""
        order, seen = [], set()

        def visit(struct):
            for field in struct.fields:
                child = field.type.struct_type()
                if child is not None and child not in seen:
                    seen.add(child)
                    visit(self.structs[child])
                    order.append(self.structs[child])

        visit(self.top)
        return order


def load_messages(schema_dir):
    messages = []
    for file_name in sorted(os.listdir(schema_dir)):
        if not file_name.endswith(".json"):
            continue
        path = os.path.join(schema_dir, file_name)
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        try:
            messages.append(Message(schema, path))
        except CodegenError as e:
            raise CodegenError(f"{file_name}: {e}") from e
    return messages


# --------------------------------------------------------------------------
# C++ expressions per field
# --------------------------------------------------------------------------


def int_literal(kind, value):
    cpp_type, _, lo, hi = INT_TYPES[kind]
    if not lo <= value <= hi:
        raise CodegenError(f"default {value} out of range for {kind}")
    if value == lo and lo < 0:
        return f"std::numeric_limits<{cpp_type}>::min()"
    suffix = "LL" if kind == "int64" else ("U" if kind.startswith("uint") else "")
    return f"{value}{suffix}"


def cpp_string_literal(text):
    return json.dumps(text, ensure_ascii=True)


def value_type(ftype):
    """The C++ type of one non-null value of ftype."""
    kind = ftype.kind
    if kind in INT_TYPES:
        return INT_TYPES[kind][0]
    if kind == "array":
        return f"std::vector<{value_type(ftype.element)}>"
    if kind == "struct":
        return ftype.struct_name
    return {"bool": "bool", "float64": "double", "string": "std::string", "bytes": "std::string",
            "uuid": "Uuid", "records": "Records"}[kind]


def member_type(field):
    base = value_type(field.type)
    return f"std::optional<{base}>" if field.optional else base


def default_is_null(field):
    if field.default == "null":
        if not field.optional:
            raise CodegenError(f"{field.label}: default null on a non-nullable field")
        return True
    # Kafka's records fields start out null; strings, bytes and arrays start empty.
    return field.default is None and field.optional and field.type.kind == "records"


def default_value(field):
    """C++ expression for the schema default of a non-null-default field, or None for T{}."""
    kind, default = field.type.kind, field.default
    if kind in INT_TYPES:
        return int_literal(kind, int(default, 0) if default else 0)
    if kind == "bool":
        if default not in (None, "true", "false"):
            raise CodegenError(f"{field.label}: bad bool default {default}")
        return "true" if default == "true" else "false"
    if kind == "float64":
        return repr(float(default)) if default else "0.0"
    if kind in ("string", "bytes") and default:
        return f"std::string({cpp_string_literal(default)})"
    if default not in (None, ""):
        raise CodegenError(f"{field.label}: unsupported default {default!r}")
    return None


def member_declaration(field):
    if default_is_null(field):
        init = ""
    else:
        value = default_value(field)
        if value is None:
            init = f" = {value_type(field.type)}()" if field.optional else ""
        else:
            init = f" = {value}"
    return f"{member_type(field)} {field.member}{init};"


def differs_from_default(field, expr):
    """C++ condition: expr (the member) is not the schema default; used for tagged fields."""
    kind = field.type.kind
    if default_is_null(field):
        return f"{expr}.has_value()"
    value = default_value(field)
    if kind == "bool":
        return f"!{expr}" if value == "true" else expr
    if kind in INT_TYPES or kind == "float64":
        return f"{expr} != {value}"
    if kind == "uuid":
        return f"!{expr}.IsZero()"
    if kind == "struct":
        return f"{expr} != {field.type.struct_name}()"
    if field.optional:
        if value is None:
            return f"!({expr} && {expr}->empty())" if kind != "records" else \
                   f"!({expr} && {expr}->size() == 0)"
        return f"{expr} != {value}"
    if value is None:
        return f"{expr}.size() != 0" if kind == "records" else f"!{expr}.empty()"
    return f"{expr} != {value}"


# Primitive readers/writers: kind -> Reader/Writer method suffix.
SIMPLE_KINDS = {**{k: v[1] for k, v in INT_TYPES.items()},
                "bool": "Bool", "float64": "Float64", "uuid": "Uuid"}
LENGTH_PREFIXED = {"string": "String", "bytes": "Bytes", "records": "Records"}


def write_value(ftype, writer, expr, compact):
    """Statement writing one non-null value (no nullability) of ftype."""
    kind = ftype.kind
    if kind in SIMPLE_KINDS:
        return f"{writer}.Write{SIMPLE_KINDS[kind]}({expr});"
    if kind in LENGTH_PREFIXED:
        return f"{writer}.Write{LENGTH_PREFIXED[kind]}({expr}, {compact});"
    if kind == "struct":
        return f"{expr}.Encode({writer}, version);"
    raise CodegenError(f"no writer for {kind}")


def read_value(ftype, reader, label, compact, nullable=False):
    """Expression reading one value of a non-struct, non-array type."""
    kind = ftype.kind
    if kind in SIMPLE_KINDS:
        return f"{reader}.Read{SIMPLE_KINDS[kind]}(\"{label}\")"
    if kind in LENGTH_PREFIXED:
        method = ("ReadNullable" if nullable else "Read") + LENGTH_PREFIXED[kind]
        return f"{reader}.{method}({compact}, \"{label}\")"
    raise CodegenError(f"no reader for {kind}")


class Emitter:
    def __init__(self):
        self.lines = []

    def __call__(self, line, indent):
        self.lines.append("  " * indent + line if line else "")

    def text(self):
        return "\n".join(self.lines)


def emit_encode_field(out, field, writer, compact, nullable, indent):
    """Encodes field into the Writer named writer, assuming the field is present."""
    kind, expr = field.type.kind, field.member
    if kind == "array":
        element = field.type.element
        opt = field.optional
        values = f"*{expr}" if opt else expr
        size = f"{expr}->size()" if opt else f"{expr}.size()"
        lines = [f"{writer}.WriteArrayLength(static_cast<int32_t>({size}), {compact});",
                 f"for (const auto& element_ : {values}) "
                 f"{write_value(element, writer, 'element_', compact)}"]
        if not opt:
            for line in lines:
                out(line, indent)
            return
        # A null array in a version where it cannot be null goes out as empty.
        null_length = {"true": "-1", "false": "0"}.get(nullable, f"{nullable} ? -1 : 0")
        out(f"if ({expr}.has_value()) {{", indent)
        for line in lines:
            out(line, indent + 1)
        out("} else {", indent)
        out(f"{writer}.WriteArrayLength({null_length}, {compact});", indent + 1)
        out("}", indent)
        return
    if not field.optional:
        out(write_value(field.type, writer, expr, compact), indent)
        return
    method = LENGTH_PREFIXED[kind]
    nullable_write = f"{writer}.WriteNullable{method}({expr}, {compact});"
    # A null value in a version where it cannot be null goes out as empty.
    empty = "std::string_view()" if kind != "records" else "Records()"
    non_null_write = f"{writer}.Write{method}({expr} ? *{expr} : {empty}, {compact});"
    if nullable == "true":
        out(nullable_write, indent)
    elif nullable == "false":
        out(non_null_write, indent)
    else:
        out(f"if ({nullable}) {{", indent)
        out(nullable_write, indent + 1)
        out("} else {", indent)
        out(non_null_write, indent + 1)
        out("}", indent)


def emit_decode_field(out, field, reader, compact, nullable, indent):
    """Decodes field from the Reader named reader, assuming the field is present."""
    kind, label, expr = field.type.kind, field.label, field.member
    if kind == "struct":
        out(f"{expr}.Decode({reader}, version);", indent)
        return
    if kind == "array":
        element = field.type.element
        # Declares `count_`: the caller puts this in a block of its own.
        out(f"const int32_t count_ = {reader}.ReadArrayLength({compact}, {nullable}, \"{label}\");",
            indent)
        target = expr
        if field.optional:
            if nullable != "false":
                out("if (count_ < 0) {", indent)
                out(f"{expr}.reset();", indent + 1)
                out("} else {", indent)
                out(f"{expr}.emplace();", indent + 1)
                out("}", indent)
            else:
                out(f"{expr}.emplace();", indent)
            target = f"(*{expr})"
        out("for (int32_t i_ = 0; i_ < count_; ++i_) {", indent)
        if element.kind == "struct":
            out(f"{target}.emplace_back().Decode({reader}, version);", indent + 1)
        else:
            out(f"{target}.push_back({read_value(element, reader, label, compact)});", indent + 1)
        out("}", indent)
        return
    read = read_value(field.type, reader, label, compact)
    if not field.optional or nullable == "false":
        out(f"{expr} = {read};", indent)
        return
    nullable_read = read_value(field.type, reader, label, compact, nullable=True)
    if nullable == "true":
        out(f"{expr} = {nullable_read};", indent)
    else:
        out(f"if ({nullable}) {{", indent)
        out(f"{expr} = {nullable_read};", indent + 1)
        out("} else {", indent)
        out(f"{expr} = {read};", indent + 1)
        out("}", indent)


def compact_expr(message, field, scope):
    """C++ test for compact encoding of an untagged field, for versions in scope.

    Partial answers use the function's `flexible_` local; a field-level
    flexibleVersions (RequestHeader.ClientId: "none") overrides the message's.
    """
    if field.flexible_override is not None:
        return field.flexible_override.condition(scope)
    cond = message.flexible.condition(scope)
    return cond if cond in ("true", "false") else "flexible_"


def finish_function(signature_with_version, signature_without_version, body_lines, flexible_cond):
    """Assembles a function, declaring flexible_ and naming version only if used."""
    body = "\n".join(body_lines)
    prologue = []
    if re.search(r"\bflexible_\b", body):
        prologue.append(f"  const bool flexible_ = {flexible_cond};")
    uses_version = re.search(r"\bversion\b", body) or any("version" in p for p in prologue)
    signature = signature_with_version if uses_version else signature_without_version
    return "\n".join([signature + " {", *prologue, *body_lines, "}"])


def untagged_plan(message, struct):
    """(field, presence test, compact test, nullable test) per field of the fixed part."""
    for field in struct.fields:
        present = field.untagged.condition(struct.versions)
        if present == "false":
            continue
        scope = struct.versions.intersect(field.untagged)
        yield field, present, compact_expr(message, field, scope), field.nullable.condition(scope)


def tagged_plan(message, struct):
    """(field, presence test, nullable test) per tagged field, in tag order.

    The tests assume the caller already knows the version is flexible.
    """
    scope = struct.versions.intersect(message.flexible)
    for field in struct.tagged_fields():
        present = field.tagged.condition(scope)
        if present != "false":
            yield field, present, field.nullable.condition(scope.intersect(field.tagged))


def emit_tag_section(out, message, struct, emit_body):
    """Wraps emit_body(indent) in `if (flexible_)` unless every version agrees."""
    if not struct.can_carry_tags():
        return
    always = message.flexible.condition(struct.versions) == "true"
    if not always:
        out("if (flexible_) {", 1)
    emit_body(1 if always else 2)
    if not always:
        out("}", 1)


def generate_encode(message, struct, qualified, is_top):
    out = Emitter()
    if is_top:
        out(f"CheckEncodeVersion(\"{struct.name}\", version, kMinVersion, kMaxVersion);", 1)
    for field, present, compact, nullable in untagged_plan(message, struct):
        if present != "true":
            out(f"if ({present}) {{", 1)
        emit_encode_field(out, field, "w", compact, nullable, 1 if present == "true" else 2)
        if present != "true":
            out("}", 1)

    def emit_tags(indent):
        tagged = list(tagged_plan(message, struct))
        if not tagged:
            out("w.WriteTaggedFields({}, unknown_tagged_fields);", indent)
            return
        out("std::vector<RawTaggedField> tagged_;", indent)
        for field, present, nullable in tagged:
            test = differs_from_default(field, field.member)
            out(f"if ({test if present == 'true' else present + ' && ' + test}) {{", indent)
            out("Writer value_;", indent + 1)  # written apart to learn its size
            emit_encode_field(out, field, "value_", "true", nullable, indent + 1)
            out(f"tagged_.push_back({{{field.tag}, value_.FinishFlat()}});", indent + 1)
            out("}", indent)
        out("w.WriteTaggedFields(std::move(tagged_), unknown_tagged_fields);", indent)

    emit_tag_section(out, message, struct, emit_tags)
    return finish_function(
        f"void {qualified}::Encode(Writer& w, int16_t version) const",
        f"void {qualified}::Encode(Writer& w, int16_t /*version*/) const",
        out.lines, message.flexible.condition(struct.versions))


def generate_decode(message, struct, qualified, is_top):
    out = Emitter()
    if is_top:
        out(f"CheckDecodeVersion(\"{struct.name}\", version, kMinVersion, kMaxVersion);", 1)
    out("ResetToDefault(*this);", 1)
    for field, present, compact, nullable in untagged_plan(message, struct):
        block = present != "true" or field.type.kind == "array"
        if block:
            out("{" if present == "true" else f"if ({present}) {{", 1)
        emit_decode_field(out, field, "r", compact, nullable, 2 if block else 1)
        if block:
            out("}", 1)

    def emit_tags(indent):
        tagged = list(tagged_plan(message, struct))
        if not tagged:
            out(f"r.ReadUnknownTaggedFields(unknown_tagged_fields, \"{struct.name}\");", indent)
            return
        out(f"for (uint32_t n_ = r.ReadUnsignedVarint(\"{struct.name} tag count\"); n_ > 0; --n_) {{",
            indent)
        out(f"Reader::TaggedField field_ = r.ReadTaggedField(\"{struct.name}\");", indent + 1)
        keyword = "if"
        for field, present, nullable in tagged:
            cond = f"field_.tag == {field.tag}" + ("" if present == "true" else f" && {present}")
            out(f"{keyword} ({cond}) {{", indent + 1)
            emit_decode_field(out, field, "field_.value", "true", nullable, indent + 2)
            keyword = "} else if"
        out("} else {", indent + 1)
        out("unknown_tagged_fields.push_back(field_.ToRaw());", indent + 2)
        out("}", indent + 1)
        out("}", indent)

    emit_tag_section(out, message, struct, emit_tags)
    return finish_function(
        f"void {qualified}::Decode(Reader& r, int16_t version)",
        f"void {qualified}::Decode(Reader& r, int16_t /*version*/)",
        out.lines, message.flexible.condition(struct.versions))


# --------------------------------------------------------------------------
# File generation
# --------------------------------------------------------------------------

BANNER = "// Generated by tools/kafka_codegen.py from schemas/kafka/{source}. Do not edit."


def versions_note(field):
    parts = [f"versions {describe(field.versions)}"]
    if field.optional:
        parts.append(f"nullable {describe(field.nullable)}")
    if field.tag is not None:
        parts.append(f"tag {field.tag} in {describe(field.tagged)}")
    return "; ".join(parts)


def describe(versions):
    if versions.empty():
        return "none"
    if versions.hi is None:
        return f"{versions.lo}+"
    return f"{versions.lo}" if versions.lo == versions.hi else f"{versions.lo}-{versions.hi}"


def emit_struct_body(out, struct, indent):
    for field in struct.fields:
        out(f"{member_declaration(field)}  // {versions_note(field)}", indent)
    if struct.can_carry_tags():
        out("std::vector<RawTaggedField> unknown_tagged_fields;  // tags this schema does not know",
            indent)
    out("", 0)
    out("void Encode(Writer& w, int16_t version) const;", indent)
    out("void Decode(Reader& r, int16_t version);", indent)
    out(f"bool operator==(const {struct.name}&) const = default;", indent)


def generate_header(message):
    out = Emitter()
    out(BANNER.format(source=os.path.basename(message.path)), 0)
    out("#pragma once", 0)
    out("", 0)
    out("#include <cstdint>", 0)
    include_limits_at = len(out.lines)
    out("#include <optional>", 0)
    out("#include <string>", 0)
    out("#include <vector>", 0)
    out("", 0)
    out('#include "protocol/wire.h"', 0)
    out("", 0)
    out("namespace kafscale::kafka {", 0)
    out("", 0)
    out("// Encode writes the fields present in `version` (callers pick a version in", 0)
    out("// [kMinVersion, kMaxVersion]; others throw std::invalid_argument). Decode replaces", 0)
    out("// the whole value and throws DecodeError on malformed input; fields absent in", 0)
    out("// `version` keep their schema defaults. Not thread-safe for concurrent mutation.", 0)
    out(f"struct {message.name} {{", 0)
    if message.api_key is not None:
        out(f"static constexpr int16_t kApiKey = {message.api_key};", 1)
    out(f"static constexpr int16_t kMinVersion = {message.valid.lo};", 1)
    out(f"static constexpr int16_t kMaxVersion = {message.valid.hi};", 1)
    out(f"static constexpr int16_t kFirstFlexibleVersion = {message.first_flexible()};", 1)
    for struct in message.ordered_structs():
        out("", 0)
        out(f"struct {struct.name} {{", 1)
        emit_struct_body(out, struct, 2)
        out("};", 1)
    out("", 0)
    emit_struct_body(out, message.top, 1)
    out("};", 0)
    out("", 0)
    out("}  // namespace kafscale::kafka", 0)
    if "std::numeric_limits" in out.text():
        out.lines.insert(include_limits_at, "#include <limits>")
    return out.text() + "\n"


def generate_source(message):
    functions = []
    for struct in [*message.ordered_structs(), message.top]:
        is_top = struct is message.top
        qualified = message.name if is_top else f"{message.name}::{struct.name}"
        functions += ["", generate_encode(message, struct, qualified, is_top),
                      "", generate_decode(message, struct, qualified, is_top)]
    body = "\n".join(functions)
    includes = ["", "#include <utility>"] if "std::move" in body else []
    return "\n".join([BANNER.format(source=os.path.basename(message.path)),
                      f'#include "protocol/messages/{message.file_stem}.h"', *includes, "",
                      "namespace kafscale::kafka {", body, "",
                      "}  // namespace kafscale::kafka"]) + "\n"


def api_messages(messages):
    """(name, request) pairs for every API with both a request and a response schema."""
    by_name = {m.name: m for m in messages}
    apis = []
    for message in messages:
        if message.kind != "request":
            continue
        base = message.name[: -len("Request")]
        response = by_name.get(base + "Response")
        if response is None:
            raise CodegenError(f"{message.name} has no response schema")
        if (response.api_key != message.api_key or describe(response.valid) != describe(message.valid)
                or response.first_flexible() != message.first_flexible()):
            raise CodegenError(f"{message.name} and its response disagree on key or versions")
        apis.append((base, message))
    return sorted(apis, key=lambda api: api[1].api_key)


def generate_registry_header():
    return "\n".join([
        BANNER.format(source="*.json"),
        "// The Kafka APIs this build has codecs for, with their version ranges.",
        "#pragma once",
        "",
        "#include <cstdint>",
        "#include <span>",
        "",
        "namespace kafscale::kafka {",
        "",
        "struct ApiInfo {",
        "  int16_t key;",
        "  const char* name;  // e.g. \"Produce\"",
        "  int16_t min_version;",
        "  int16_t max_version;",
        "  int16_t first_flexible_version;  // -1 when never flexible",
        "};",
        "",
        "// Every supported API, ordered by key. Static storage; thread-safe.",
        "std::span<const ApiInfo> AllApis();",
        "",
        "// The API with this key, or nullptr if this build has no codec for it.",
        "const ApiInfo* FindApi(int16_t key);",
        "",
        "// Request header version for a request: 2 for flexible versions, else 1.",
        "// Unknown keys get 1; only the fields every header version shares (key,",
        "// version, correlation ID) are then reliable, which is all an error reply needs.",
        "int16_t RequestHeaderVersion(int16_t api_key, int16_t api_version);",
        "",
        "// Response header version: 1 for flexible versions, else 0. ApiVersions",
        "// responses always use 0 so clients can read them before knowing versions.",
        "int16_t ResponseHeaderVersion(int16_t api_key, int16_t api_version);",
        "",
        "}  // namespace kafscale::kafka",
        ""])


def generate_registry_source(messages):
    rows = [f"    {{{m.api_key}, \"{base}\", {m.valid.lo}, {m.valid.hi}, {m.first_flexible()}}},"
            for base, m in api_messages(messages)]
    return "\n".join([
        BANNER.format(source="*.json"),
        '#include "protocol/messages/api_registry.h"',
        "",
        "#include <algorithm>",
        "#include <array>",
        "",
        "namespace kafscale::kafka {",
        "namespace {",
        "",
        f"constexpr std::array<ApiInfo, {len(rows)}> kApis = {{{{",
        *rows,
        "}};",
        "",
        "constexpr int16_t kApiVersionsKey = 18;",
        "",
        "bool IsFlexible(int16_t api_key, int16_t api_version) {",
        "  const ApiInfo* api = FindApi(api_key);",
        "  return api != nullptr && api->first_flexible_version >= 0 &&",
        "         api_version >= api->first_flexible_version;",
        "}",
        "",
        "}  // namespace",
        "",
        "std::span<const ApiInfo> AllApis() { return kApis; }",
        "",
        "const ApiInfo* FindApi(int16_t key) {",
        "  auto it = std::lower_bound(kApis.begin(), kApis.end(), key,",
        "                             [](const ApiInfo& api, int16_t k) { return api.key < k; });",
        "  return it != kApis.end() && it->key == key ? &*it : nullptr;",
        "}",
        "",
        "int16_t RequestHeaderVersion(int16_t api_key, int16_t api_version) {",
        "  return IsFlexible(api_key, api_version) ? 2 : 1;",
        "}",
        "",
        "int16_t ResponseHeaderVersion(int16_t api_key, int16_t api_version) {",
        "  if (api_key == kApiVersionsKey) return 0;",
        "  return IsFlexible(api_key, api_version) ? 1 : 0;",
        "}",
        "",
        "}  // namespace kafscale::kafka",
        ""])


# -- test samples ------------------------------------------------------------


def sample_value(ftype, field):
    """C++ expression for a sample value of a non-struct, non-array type.

    Values differ from the field's schema default so tagged fields get written.
    """
    kind = ftype.kind
    if kind in INT_TYPES:
        cpp_type, _, _, hi = INT_TYPES[kind]
        is_field_default = ftype is field.type and field.default not in (None, "null")
        base = int(field.default, 0) if is_field_default else 0
        op = "+" if base + 50 <= hi else "-"
        return f"static_cast<{cpp_type}>({int_literal(kind, base)} {op} NextSample(n))"
    if kind == "bool":
        return "true" if field.default != "true" else "false"
    if kind == "float64":
        return "NextSample(n) / 4.0"
    if kind == "string":
        return "SampleString(n)"
    if kind == "bytes":
        return "SampleBytes(n)"
    if kind == "uuid":
        return "SampleUuid(n)"
    if kind == "records":
        return "Records::FromString(SampleBytes(n))"
    raise CodegenError(f"no sample for {kind}")


def generate_fill_sample(message, struct, qualified):
    out = Emitter()
    for field in struct.fields:
        present = field.versions.condition(struct.versions)
        if present == "false":
            continue
        indent = 1
        if present != "true":
            out(f"if ({present}) {{", 1)
            indent = 2
        target = f"s.{field.member}"
        kind = field.type.kind
        nullable = field.nullable.condition(struct.versions.intersect(field.versions))
        if nullable != "false":
            out("if (nulls" + ("" if nullable == "true" else f" && {nullable}") + ") {", indent)
            out(f"{target}.reset();", indent + 1)
            out("} else {", indent)
            indent += 1
        if kind == "struct":
            out(f"FillSample({target}, version, nulls, n);", indent)
        elif kind == "array":
            element = field.type.element
            out("{", indent)
            out(f"auto& values_ = {target}{'.emplace()' if field.optional else ''};", indent + 1)
            out("for (int i_ = 0; i_ < 2; ++i_) {", indent + 1)
            if element.kind == "struct":
                out("FillSample(values_.emplace_back(), version, nulls, n);", indent + 2)
            else:
                out(f"values_.push_back({sample_value(element, field)});", indent + 2)
            out("}", indent + 1)
            out("}", indent)
        else:
            out(f"{target} = {sample_value(field.type, field)};", indent)
        if nullable != "false":
            out("}", indent - 1)
        if present != "true":
            out("}", 1)
    if struct.can_carry_tags():
        cond = message.flexible.condition(struct.versions)
        # A tag above every known one keeps the decoded order identical.
        add = "s.unknown_tagged_fields.push_back({kSampleUnknownTag, SampleBytes(n)});"
        out(add if cond == "true" else f"if ({cond}) {add}", 1)
    body = "\n".join(out.lines)

    def param(declaration, name):
        return declaration + (f" {name}" if re.search(rf"\b{name}\b", body) else f" /*{name}*/")

    params = ", ".join([param("int16_t", "version"), param("bool", "nulls"), param("int&", "n")])
    return "\n".join([f"inline void FillSample({qualified}& s, {params}) {{", *out.lines, "}"])


def generate_test_samples(messages):
    parts = [BANNER.format(source="*.json"),
             "// Test-only: fills every field present in a version with a non-default value",
             "// (or null), so round-trip tests reach every field, nested array and tagged",
             "// field.",
             "#pragma once",
             "",
             "#include <string>",
             ""]
    parts += [f'#include "protocol/messages/{m.file_stem}.h"' for m in messages]
    parts += ["",
              "// Every generated message type, for typed tests.",
              "#define KAFSCALE_KAFKA_ALL_MESSAGES \\",
              ", \\\n".join(f"  ::kafscale::kafka::{m.name}" for m in messages),
              "",
              "namespace kafscale::kafka::testing {",
              "",
              "inline constexpr uint32_t kSampleUnknownTag = 1000;",
              "",
              "// Cycles through 1..50 so sample values differ from field to field.",
              "inline int NextSample(int& n) {",
              "  n = n % 50 + 1;",
              "  return n;",
              "}",
              "",
              "// Built by appending: GCC 12 warns falsely (-Wrestrict) on \"literal\" + string.",
              "inline std::string SampleString(int& n) {",
              "  std::string text = \"s\";",
              "  text.append(std::to_string(NextSample(n)));",
              "  return text;",
              "}",
              "",
              "inline std::string SampleBytes(int& n) {",
              "  std::string bytes(\"\\x00\\xff\", 2);",
              "  bytes.append(std::to_string(NextSample(n)));",
              "  return bytes;",
              "}",
              "",
              "inline Uuid SampleUuid(int& n) {",
              "  Uuid id;",
              "  for (auto& byte : id.bytes) byte = static_cast<uint8_t>(NextSample(n));",
              "  return id;",
              "}"]
    for message in messages:
        for struct in [*message.ordered_structs(), message.top]:
            qualified = message.name if struct is message.top else f"{message.name}::{struct.name}"
            parts.append("")
            parts.append(generate_fill_sample(message, struct, qualified))
    parts += ["",
              "// A sample of M valid in `version`: every field set, and with `nulls` every",
              "// field that is nullable in `version` set to null instead.",
              "template <typename M>",
              "M MakeSample(int16_t version, bool nulls = false) {",
              "  M message;",
              "  int n = 0;",
              "  FillSample(message, version, nulls, n);",
              "  return message;",
              "}",
              "",
              "}  // namespace kafscale::kafka::testing",
              ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def output_files(messages):
    names = []
    for message in messages:
        names += [message.file_stem + ".h", message.file_stem + ".cc"]
    return names + ["api_registry.h", "api_registry.cc", "test_samples.h"]


def write_if_changed(path, text):
    """Leaves unchanged files untouched so the build does not recompile them."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def generate(messages, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for message in messages:
        write_if_changed(os.path.join(out_dir, message.file_stem + ".h"), generate_header(message))
        write_if_changed(os.path.join(out_dir, message.file_stem + ".cc"), generate_source(message))
    write_if_changed(os.path.join(out_dir, "api_registry.h"), generate_registry_header())
    write_if_changed(os.path.join(out_dir, "api_registry.cc"), generate_registry_source(messages))
    write_if_changed(os.path.join(out_dir, "test_samples.h"), generate_test_samples(messages))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schemas", help="directory of comment-free schema JSON files")
    parser.add_argument("--out", help="directory for the generated files")
    parser.add_argument("--list-outputs", action="store_true",
                        help="print the generated file names, one per line")
    parser.add_argument("--strip-schemas", nargs="+", metavar="ARG",
                        help="SRC DST [NAME...]: copy schemas without comments")
    args = parser.parse_args()
    try:
        if args.strip_schemas:
            if len(args.strip_schemas) < 2:
                parser.error("--strip-schemas needs SRC and DST")
            src, dst, *names = args.strip_schemas
            strip_schemas(src, dst, names)
            return 0
        if not args.schemas:
            parser.error("--schemas is required")
        messages = load_messages(args.schemas)
        if args.list_outputs:
            print("\n".join(output_files(messages)))
            return 0
        if not args.out:
            parser.error("--out is required")
        generate(messages, args.out)
        return 0
    except CodegenError as e:
        print(f"kafka_codegen: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
