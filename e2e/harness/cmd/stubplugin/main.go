// Command stubplugin runs the kubelet's own device-plugin stub
// (pkg/kubelet/cm/devicemanager/plugin/v1beta1.Stub) with N devices of one
// resource. It is the known-good peer that checks the devicemanager harness
// itself, independently of Tessera's plugin: its preferred allocation is the
// highest-numbered free devices, and Allocate answers STUB_DEVICES=<ids>.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
	plugin "k8s.io/kubernetes/pkg/kubelet/cm/devicemanager/plugin/v1beta1"
)

func main() {
	dir := flag.String("dir", "", "device-plugin directory holding kubelet.sock")
	resource := flag.String("resource", "example.com/dev", "resource name")
	count := flag.Int("count", 4, "number of devices")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "stubplugin: --dir is required")
		os.Exit(2)
	}
	devs := make([]*pluginapi.Device, 0, *count)
	for i := 0; i < *count; i++ {
		devs = append(devs, &pluginapi.Device{ID: fmt.Sprintf("dev-%d", i), Health: pluginapi.Healthy})
	}
	socketName := "stub-" + strings.NewReplacer("/", "-", ".", "-").Replace(*resource) + ".sock"
	stub := plugin.NewDevicePluginStub(devs, filepath.Join(*dir, socketName), *resource, false, true)
	stub.SetGetPreferredAllocFunc(func(r *pluginapi.PreferredAllocationRequest, _ map[string]*pluginapi.Device) (*pluginapi.PreferredAllocationResponse, error) {
		resp := &pluginapi.PreferredAllocationResponse{}
		for _, cr := range r.ContainerRequests {
			ids := append([]string{}, cr.AvailableDeviceIDs...)
			sort.Sort(sort.Reverse(sort.StringSlice(ids)))
			n := int(cr.AllocationSize)
			if n > len(ids) {
				n = len(ids)
			}
			resp.ContainerResponses = append(resp.ContainerResponses, &pluginapi.ContainerPreferredAllocationResponse{DeviceIDs: ids[:n]})
		}
		return resp, nil
	})
	stub.SetAllocFunc(func(r *pluginapi.AllocateRequest, _ map[string]*pluginapi.Device) (*pluginapi.AllocateResponse, error) {
		resp := &pluginapi.AllocateResponse{}
		for _, cr := range r.ContainerRequests {
			ids := append([]string{}, cr.DevicesIds...)
			sort.Strings(ids)
			resp.ContainerResponses = append(resp.ContainerResponses, &pluginapi.ContainerAllocateResponse{
				Envs:        map[string]string{"STUB_DEVICES": strings.Join(ids, ",")},
				Annotations: map[string]string{"stub.example.com/devices": strings.Join(ids, ",")},
				CdiDevices:  []*pluginapi.CDIDevice{{Name: "example.com/dev=" + ids[0]}},
			})
		}
		return resp, nil
	})
	if err := stub.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "stubplugin: start: %v\n", err)
		os.Exit(1)
	}
	if err := stub.Register(filepath.Join(*dir, "kubelet.sock"), *resource, *dir); err != nil {
		fmt.Fprintf(os.Stderr, "stubplugin: register: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(`{"registered":true}`)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	_ = stub.Stop()
}
