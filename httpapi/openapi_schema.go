package httpapi

import (
	"reflect"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// schema is one JSON Schema object of the OpenAPI document.
type schema = map[string]any

// schemaGen turns Go types into JSON Schemas from their json tags, so the
// document follows the types the handlers really encode. Named types added
// with add become components and are referenced with $ref.
type schemaGen struct {
	names   map[reflect.Type]string
	schemas map[string]any
	// extra holds per-property keywords the types cannot express (ranges,
	// patterns), keyed "Component.json_name".
	extra map[string]schema
}

// enums lists the allowed values of string types that have a closed set.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[homelabcmd.ServiceStatusValue](): {"running", "stopped", "failed", "unknown"},
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	wireTimeType = reflect.TypeFor[homelabcmd.Time]()
)

func newSchemaGen(extra map[string]schema) *schemaGen {
	return &schemaGen{names: map[reflect.Type]string{}, schemas: map[string]any{}, extra: extra}
}

// add registers T as the component name and generates its schema.
func add[T any](g *schemaGen, name string) {
	t := reflect.TypeFor[T]()
	g.names[t] = name
	g.schemas[name] = g.structSchema(name, t)
}

// set registers a hand-written component schema.
func (g *schemaGen) set(name string, s schema) { g.schemas[name] = s }

// of returns the schema of t: a $ref for registered types, inline otherwise.
func (g *schemaGen) of(t reflect.Type) schema {
	if name, ok := g.names[t]; ok {
		return ref(name)
	}
	switch t {
	case timeType, wireTimeType:
		return schema{"type": "string", "format": "date-time"}
	}
	if vals, ok := enums[t]; ok {
		return schema{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.of(t.Elem()))
	case reflect.String:
		return schema{"type": "string"}
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int16, reflect.Int8, reflect.Uint, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return schema{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return schema{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		return schema{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return schema{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		return g.structSchema("", t)
	}
	return schema{}
}

// structSchema lists the json-tagged fields, flattening embedded structs.
// A field is required when it is neither a pointer nor omitempty; a slice
// without omitempty may be null (Go encodes a nil slice as null).
func (g *schemaGen) structSchema(name string, t reflect.Type) schema {
	props := schema{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			jname, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && jname == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if jname == "" {
				jname = f.Name
			}
			omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			s := g.of(ft)
			if ft.Kind() == reflect.Slice && !omit {
				s = nullable(s)
			}
			if x, ok := g.extra[name+"."+jname]; ok {
				s = merge(s, x)
			}
			props[jname] = s
			if !omit && ft.Kind() != reflect.Pointer {
				required = append(required, jname)
			}
		}
	}
	walk(t)
	out := schema{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// merge adds the keywords of x to s; for a nullable s they go on the
// non-null branch.
func merge(s, x schema) schema {
	out := schema{}
	for k, v := range s {
		out[k] = v
	}
	if alt, ok := out["anyOf"].([]any); ok {
		out["anyOf"] = []any{merge(alt[0].(schema), x), alt[1]}
		return out
	}
	for k, v := range x {
		out[k] = v
	}
	return out
}

func ref(name string) schema { return schema{"$ref": "#/components/schemas/" + name} }

// nullable allows null besides s, the OpenAPI 3.1 way.
func nullable(s schema) schema {
	if typ, ok := s["type"].(string); ok && s["$ref"] == nil {
		out := merge(s, nil)
		out["type"] = []any{typ, "null"}
		return out
	}
	return schema{"anyOf": []any{s, schema{"type": "null"}}}
}

// Small constructors for the hand-written schemas.

func str() schema                 { return schema{"type": "string"} }
func strDesc(d string) schema     { return schema{"type": "string", "description": d} }
func integer() schema             { return schema{"type": "integer"} }
func boolean() schema             { return schema{"type": "boolean"} }
func dateTime() schema            { return schema{"type": "string", "format": "date-time"} }
func arrayOf(items schema) schema { return schema{"type": "array", "items": items} }
func enum(vals ...any) schema     { return schema{"type": "string", "enum": vals} }
func with(s schema, kv ...any) schema {
	out := merge(s, nil)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// prop is one property of a hand-written object; opt marks it optional.
type prop struct {
	name string
	s    schema
	opt  bool
}

func p(name string, s schema) prop   { return prop{name: name, s: s} }
func opt(name string, s schema) prop { return prop{name: name, s: s, opt: true} }

// object builds an object schema; properties are required unless opt.
func object(props ...prop) schema {
	ps := schema{}
	required := []string{}
	for _, x := range props {
		ps[x.name] = x.s
		if !x.opt {
			required = append(required, x.name)
		}
	}
	out := schema{"type": "object", "properties": ps}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
