//go:build tools

// Package tools pins the control-plane commands built by e2e/build.sh into
// this module's graph so that go.sum covers them.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
