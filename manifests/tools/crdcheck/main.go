//go:build ignore

package main

// Validates CRDs as the apiserver does on create (structural schema, CEL compile, cost),
// then validates example objects (defaulting, OpenAPI, CEL) and expects failures for bad ones.
import (
	"context"
	"fmt"
	"os"
	"strings"

	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"sigs.k8s.io/yaml"
)

// ints turns integral float64 values into int64, as the apiserver's JSON decoder does.
func ints(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = ints(x)
		}
	case []interface{}:
		for i, x := range t {
			t[i] = ints(x)
		}
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
	}
	return v
}

type checker struct {
	s   *schema.Structural
	val apiservervalidation.SchemaValidator
	cel *cel.Validator
}

func splitDocs(b []byte) [][]byte {
	var out [][]byte
	for _, d := range strings.Split(string(b), "\n---") {
		if strings.TrimSpace(d) != "" {
			out = append(out, []byte(d))
		}
	}
	return out
}

func main() {
	ctx := context.Background()
	checkers := map[string]*checker{}
	failed := false
	for _, f := range os.Args[1:] {
		if f == "--" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		for _, d := range splitDocs(b) {
			var head struct{ Kind string }
			_ = yaml.Unmarshal(d, &head)
			if head.Kind != "CustomResourceDefinition" {
				continue
			}
			var v1 apiextv1.CustomResourceDefinition
			if err := yaml.UnmarshalStrict(d, &v1); err != nil {
				fmt.Println("DECODE", f, err)
				failed = true
				continue
			}
			apiextv1.SetObjectDefaults_CustomResourceDefinition(&v1)
			var in apiext.CustomResourceDefinition
			if err := apiextv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1, &in, nil); err != nil {
				panic(err)
			}
			errs := validation.ValidateCustomResourceDefinition(ctx, &in)
			for _, e := range errs {
				fmt.Println("CRD", v1.Name, e)
				failed = true
			}
			var vs *apiext.JSONSchemaProps
			if in.Spec.Validation != nil {
				vs = in.Spec.Validation.OpenAPIV3Schema
			} else {
				vs = in.Spec.Versions[0].Schema.OpenAPIV3Schema
			}
			s, err := schema.NewStructural(vs)
			if err != nil {
				panic(err)
			}
			val, _, err := apiservervalidation.NewSchemaValidator(vs)
			if err != nil {
				panic(err)
			}
			checkers[v1.Spec.Names.Kind] = &checker{s: s, val: val, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
			fmt.Println("ok CRD", v1.Name)
		}
	}
	// objects
	for _, f := range os.Args[1:] {
		b, _ := os.ReadFile(f)
		for _, d := range splitDocs(b) {
			var obj map[string]interface{}
			if err := yaml.Unmarshal(d, &obj); err != nil || obj == nil {
				continue
			}
			kind, _ := obj["kind"].(string)
			c := checkers[kind]
			if c == nil {
				continue
			}
			md, _ := obj["metadata"].(map[string]interface{})
			name := fmt.Sprint(md["name"])
			expectFail := false
			if ann, ok := md["annotations"].(map[string]interface{}); ok {
				expectFail = ann["test/expect"] == "invalid"
			}
			obj = ints(obj).(map[string]interface{})
			structuraldefaulting.Default(obj, c.s)
			var errs field.ErrorList
			errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, c.val)...)
			errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, c.s, obj)...)
			celErrs, _ := c.cel.Validate(ctx, nil, c.s, obj, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
			// transition rules: validate update against itself
			celErrs2, _ := c.cel.Validate(ctx, nil, c.s, obj, obj, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs2...)
			switch {
			case expectFail && len(errs) == 0:
				fmt.Println("FAIL expected invalid but valid:", kind, name)
				failed = true
			case !expectFail && len(errs) > 0:
				fmt.Println("FAIL", kind, name, errs.ToAggregate())
				failed = true
			case expectFail:
				fmt.Println("ok rejected", kind, name, ":", errs.ToAggregate())
			default:
				spec, _ := obj["spec"]
				fmt.Println("ok valid", kind, name, fmt.Sprint(spec))
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}
