//go:build ignore

// Validates admission objects (ValidatingAdmissionPolicy, webhook configurations) with the
// apiserver's own validation, which compiles every CEL expression as a create would.
package main

import (
	"fmt"
	"os"
	"strings"

	admv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/kubernetes/pkg/apis/admissionregistration"
	admconv "k8s.io/kubernetes/pkg/apis/admissionregistration/v1"
	"k8s.io/kubernetes/pkg/apis/admissionregistration/validation"
	"sigs.k8s.io/yaml"
)

func main() {
	failed := false
	for _, f := range os.Args[1:] {
		b, _ := os.ReadFile(f)
		for _, d := range strings.Split(string(b), "\n---") {
			var head struct{ Kind string }
			_ = yaml.Unmarshal([]byte(d), &head)
			switch head.Kind {
			case "ValidatingAdmissionPolicy":
				var v admv1.ValidatingAdmissionPolicy
				if err := yaml.UnmarshalStrict([]byte(d), &v); err != nil {
					fmt.Println("DECODE", err)
					failed = true
					continue
				}
				admconv.SetObjectDefaults_ValidatingAdmissionPolicy(&v)
				var in admissionregistration.ValidatingAdmissionPolicy
				if err := admconv.Convert_v1_ValidatingAdmissionPolicy_To_admissionregistration_ValidatingAdmissionPolicy(&v, &in, nil); err != nil {
					panic(err)
				}
				errs := validation.ValidateValidatingAdmissionPolicy(&in)
				for _, e := range errs {
					fmt.Println("VAP", v.Name, e)
					failed = true
				}
				fmt.Println("checked VAP", v.Name, len(errs))
			case "MutatingWebhookConfiguration":
				var v admv1.MutatingWebhookConfiguration
				if err := yaml.UnmarshalStrict([]byte(d), &v); err != nil {
					fmt.Println("DECODE", err)
					failed = true
					continue
				}
				admconv.SetObjectDefaults_MutatingWebhookConfiguration(&v)
				var in admissionregistration.MutatingWebhookConfiguration
				if err := admconv.Convert_v1_MutatingWebhookConfiguration_To_admissionregistration_MutatingWebhookConfiguration(&v, &in, nil); err != nil {
					panic(err)
				}
				errs := validation.ValidateMutatingWebhookConfiguration(&in)
				for _, e := range errs {
					fmt.Println("MWC", v.Name, e)
					failed = true
				}
				fmt.Println("checked MWC", v.Name, len(errs))
			case "ValidatingWebhookConfiguration":
				var v admv1.ValidatingWebhookConfiguration
				if err := yaml.UnmarshalStrict([]byte(d), &v); err != nil {
					fmt.Println("DECODE", err)
					failed = true
					continue
				}
				admconv.SetObjectDefaults_ValidatingWebhookConfiguration(&v)
				var in admissionregistration.ValidatingWebhookConfiguration
				if err := admconv.Convert_v1_ValidatingWebhookConfiguration_To_admissionregistration_ValidatingWebhookConfiguration(&v, &in, nil); err != nil {
					panic(err)
				}
				errs := validation.ValidateValidatingWebhookConfiguration(&in)
				for _, e := range errs {
					fmt.Println("VWC", v.Name, e)
					failed = true
				}
				fmt.Println("checked VWC", v.Name, len(errs))
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}
