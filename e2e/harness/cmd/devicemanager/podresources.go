package main

// The kubelet's pod-resources API (k8s.io/kubernetes/pkg/kubelet/apis/podresources,
// the real v1 server) backed by the harness: pods are the admitted (active) pods,
// devices come from the real device manager. This is what a node agent reads after a
// restart to learn which pod and container hold which device IDs.

import (
	"context"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	v1 "k8s.io/api/core/v1"
	podresourcesapi "k8s.io/kubelet/pkg/apis/podresources/v1"
	"k8s.io/kubernetes/pkg/kubelet/apis/podresources"
	"k8s.io/kubernetes/pkg/kubelet/cm/devicemanager"
)

type podsProvider struct{ h *harness }

func (p podsProvider) GetActivePods() []*v1.Pod { return p.h.activePods() }
func (p podsProvider) GetPods() []*v1.Pod       { return p.h.activePods() }
func (p podsProvider) GetPodByName(namespace, name string) (*v1.Pod, bool) {
	for _, pod := range p.h.activePods() {
		if pod.Namespace == namespace && pod.Name == name {
			return pod, true
		}
	}
	return nil, false
}

// devicesProvider adapts the device manager's per-resource device sets to the
// pod-resources message, as the kubelet's container manager does.
type devicesProvider struct{ mgr *devicemanager.ManagerImpl }

func toContainerDevices(instances devicemanager.ResourceDeviceInstances) []*podresourcesapi.ContainerDevices {
	var out []*podresourcesapi.ContainerDevices
	for resource, devices := range instances {
		for id, dev := range devices {
			cd := &podresourcesapi.ContainerDevices{ResourceName: resource, DeviceIds: []string{id}}
			if dev.Topology != nil {
				topo := &podresourcesapi.TopologyInfo{}
				for _, n := range dev.Topology.Nodes {
					topo.Nodes = append(topo.Nodes, &podresourcesapi.NUMANode{ID: n.ID})
				}
				cd.Topology = topo
			}
			out = append(out, cd)
		}
	}
	return out
}

func (d devicesProvider) UpdateAllocatedDevices() { d.mgr.UpdateAllocatedDevices() }
func (d devicesProvider) GetDevices(podUID, containerName string) []*podresourcesapi.ContainerDevices {
	return toContainerDevices(d.mgr.GetDevices(podUID, containerName))
}
func (d devicesProvider) GetAllocatableDevices() []*podresourcesapi.ContainerDevices {
	return toContainerDevices(d.mgr.GetAllocatableDevices())
}

type noCPUs struct{}

func (noCPUs) GetCPUs(string, string) []int64 { return nil }
func (noCPUs) GetAllocatableCPUs() []int64    { return nil }

type noMemory struct{}

func (noMemory) GetMemory(string, string) []*podresourcesapi.ContainerMemory { return nil }
func (noMemory) GetAllocatableMemory() []*podresourcesapi.ContainerMemory    { return nil }

type noDRA struct{}

func (noDRA) GetDynamicResources(*v1.Pod, *v1.Container) []*podresourcesapi.DynamicResource {
	return nil
}

// servePodResources serves the v1 pod-resources API on socket (created fresh).
func servePodResources(socket string, h *harness) (*grpc.Server, error) {
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return nil, err
	}
	_ = os.Remove(socket)
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	srv := grpc.NewServer()
	podresourcesapi.RegisterPodResourcesListerServer(srv, podresources.NewV1PodResourcesServer(context.Background(), podresources.PodResourcesProviders{
		Pods:             podsProvider{h},
		Devices:          devicesProvider{h.mgr},
		Cpus:             noCPUs{},
		Memory:           noMemory{},
		DynamicResources: noDRA{},
	}))
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}
