// Command devicemanager runs the real kubelet device manager
// (k8s.io/kubernetes/pkg/kubelet/cm/devicemanager) on a temporary device-plugin
// directory, without the rest of the kubelet, so that Tessera's device plugin
// registers with, is watched by (ListAndWatch) and allocates for the same code a
// kubelet runs (GetPreferredAllocation, Allocate, the per-container run options
// the kubelet hands to the container runtime).
//
// Control interface: a loopback HTTP server. On start it prints one JSON line on
// stdout: {"url":"http://127.0.0.1:PORT","socket":"DIR/kubelet.sock"}.
//
//	GET  /healthz                 200 "ok"
//	GET  /capacity                capacity/allocatable per resource (GetCapacity)
//	GET  /devices                 devices per resource as reported by ListAndWatch
//	POST /admit    {"pod":Pod}    for every init and app container that requests a
//	                              device-plugin resource: Allocate then
//	                              GetDeviceRunContainerOptions, exactly like the
//	                              kubelet's admission + container start. Answers
//	                              {"containers":[{name, devices, envs, mounts,
//	                              deviceSpecs, annotations, cdiDevices}]} or
//	                              409 {"error": "..."} with the kubelet's error.
//	POST /release  {"podUID":"…"} the pod is no longer active; its devices are
//	                              freed (UpdateAllocatedDevices).
//	GET  /pods                    device ids per pod / container / resource
//
// With --pod-resources-socket it also serves the kubelet's real pod-resources v1
// server (List / GetAllocatableResources / Get) over the admitted pods.
//
// Admission is serialised (the kubelet admits pods one at a time in its sync
// loop); the device manager itself is what is being exercised.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
	_ "unsafe" // go:linkname

	cadvisorapi "github.com/google/cadvisor/info/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/kubernetes/pkg/kubelet/cm/containermap"
	"k8s.io/kubernetes/pkg/kubelet/cm/devicemanager"
	"k8s.io/kubernetes/pkg/kubelet/cm/topologymanager"
)

// newManagerImpl is the device manager constructor that takes the socket path;
// the exported NewManagerImpl hard-codes /var/lib/kubelet/device-plugins/kubelet.sock.
// Using it keeps every other line of the manager as the kubelet runs it.
//
//go:linkname newManagerImpl k8s.io/kubernetes/pkg/kubelet/cm/devicemanager.newManagerImpl
func newManagerImpl(socketPath string, topology []cadvisorapi.Node, topologyAffinityStore topologymanager.Store) (*devicemanager.ManagerImpl, error)

// noAffinity is the topology-manager store of a kubelet with policy "none".
type noAffinity struct{}

func (noAffinity) GetAffinity(string, string) topologymanager.TopologyHint {
	return topologymanager.TopologyHint{}
}
func (noAffinity) GetPolicy() topologymanager.Policy { return topologymanager.NewNonePolicy() }

type allReady struct{}

func (allReady) AddSource(string) {}
func (allReady) AllReady() bool   { return true }

type harness struct {
	mgr *devicemanager.ManagerImpl

	admitMu sync.Mutex // the kubelet admits one pod at a time

	podsMu sync.Mutex
	active map[string]*v1.Pod // by UID
}

func (h *harness) activePods() []*v1.Pod {
	h.podsMu.Lock()
	defer h.podsMu.Unlock()
	out := make([]*v1.Pod, 0, len(h.active))
	for _, p := range h.active {
		out = append(out, p)
	}
	return out
}

type kv struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type mount struct {
	ContainerPath string `json:"containerPath"`
	HostPath      string `json:"hostPath"`
	ReadOnly      bool   `json:"readOnly"`
}

type deviceSpec struct {
	PathOnHost      string `json:"hostPath"`
	PathInContainer string `json:"containerPath"`
	Permissions     string `json:"permissions"`
}

type containerResult struct {
	Name        string              `json:"name"`
	Devices     map[string][]string `json:"devices"`
	Envs        []kv                `json:"envs"`
	Mounts      []mount             `json:"mounts"`
	DeviceSpecs []deviceSpec        `json:"deviceSpecs"`
	Annotations []kv                `json:"annotations"`
	CDIDevices  []string            `json:"cdiDevices"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (h *harness) capacity(w http.ResponseWriter, _ *http.Request) {
	capacity, allocatable, removed := h.mgr.GetCapacity()
	c := map[string]string{}
	a := map[string]string{}
	for k, v := range capacity {
		c[string(k)] = v.String()
	}
	for k, v := range allocatable {
		a[string(k)] = v.String()
	}
	if removed == nil {
		removed = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"capacity": c, "allocatable": a, "removed": removed})
}

type deviceOut struct {
	ID     string `json:"id"`
	Health string `json:"health"`
	NUMA   []int  `json:"numa"`
}

func (h *harness) devices(w http.ResponseWriter, _ *http.Request) {
	out := map[string][]deviceOut{}
	for res, devs := range h.mgr.GetAllocatableDevices() {
		list := []deviceOut{}
		for id, d := range devs {
			o := deviceOut{ID: id, Health: d.Health, NUMA: []int{}}
			if d.Topology != nil {
				for _, n := range d.Topology.Nodes {
					o.NUMA = append(o.NUMA, int(n.ID))
				}
			}
			list = append(list, o)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		out[res] = list
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *harness) admit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Pod *v1.Pod `json:"pod"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "admit: body must be JSON {\"pod\": <core/v1 Pod>}: %v", err)
		return
	}
	pod := body.Pod
	if pod == nil || pod.UID == "" {
		fail(w, http.StatusBadRequest, "admit: body must carry a pod with metadata.uid (fetch it from the API server)")
		return
	}
	h.admitMu.Lock()
	defer h.admitMu.Unlock()

	h.podsMu.Lock()
	h.active[string(pod.UID)] = pod
	h.podsMu.Unlock()

	refuse := func(status int, format string, args ...any) {
		// The kubelet rejects the pod: it is no longer active, its devices are freed.
		h.podsMu.Lock()
		delete(h.active, string(pod.UID))
		h.podsMu.Unlock()
		h.mgr.UpdateAllocatedDevices()
		fail(w, status, format, args...)
	}
	results := []containerResult{}
	all := make([]v1.Container, 0, len(pod.Spec.InitContainers)+len(pod.Spec.Containers))
	all = append(all, pod.Spec.InitContainers...)
	all = append(all, pod.Spec.Containers...)
	for i := range all {
		c := &all[i]
		if err := h.mgr.Allocate(pod, c); err != nil {
			refuse(http.StatusConflict, "kubelet device manager refused pod %s/%s container %s: %v", pod.Namespace, pod.Name, c.Name, err)
			return
		}
		opts, err := h.mgr.GetDeviceRunContainerOptions(pod, c)
		if err != nil {
			refuse(http.StatusConflict, "kubelet device manager: run options for %s/%s container %s: %v", pod.Namespace, pod.Name, c.Name, err)
			return
		}
		res := containerResult{Name: c.Name, Devices: map[string][]string{}, Envs: []kv{}, Mounts: []mount{},
			DeviceSpecs: []deviceSpec{}, Annotations: []kv{}, CDIDevices: []string{}}
		for resName, devs := range h.mgr.GetDevices(string(pod.UID), c.Name) {
			ids := make([]string, 0, len(devs))
			for id := range devs {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			res.Devices[resName] = ids
		}
		if opts != nil {
			for _, e := range opts.Envs {
				res.Envs = append(res.Envs, kv{e.Name, e.Value})
			}
			for _, m := range opts.Mounts {
				res.Mounts = append(res.Mounts, mount{m.ContainerPath, m.HostPath, m.ReadOnly})
			}
			for _, d := range opts.Devices {
				res.DeviceSpecs = append(res.DeviceSpecs, deviceSpec{d.PathOnHost, d.PathInContainer, d.Permissions})
			}
			for _, a := range opts.Annotations {
				res.Annotations = append(res.Annotations, kv{a.Name, a.Value})
			}
			for _, d := range opts.CDIDevices {
				res.CDIDevices = append(res.CDIDevices, d.Name)
			}
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"podUID": string(pod.UID), "containers": results})
}

func (h *harness) release(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PodUID string `json:"podUID"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.PodUID == "" {
		fail(w, http.StatusBadRequest, "release: body must be JSON {\"podUID\": \"<uid>\"}")
		return
	}
	h.admitMu.Lock()
	defer h.admitMu.Unlock()
	h.podsMu.Lock()
	_, known := h.active[body.PodUID]
	delete(h.active, body.PodUID)
	h.podsMu.Unlock()
	h.mgr.UpdateAllocatedDevices()
	writeJSON(w, http.StatusOK, map[string]any{"released": known})
}

func (h *harness) pods(w http.ResponseWriter, _ *http.Request) {
	out := map[string]map[string]map[string][]string{}
	for _, p := range h.activePods() {
		per := map[string]map[string][]string{}
		for _, c := range append(append([]v1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
			devs := h.mgr.GetDevices(string(p.UID), c.Name)
			if len(devs) == 0 {
				continue
			}
			m := map[string][]string{}
			for res, d := range devs {
				ids := sets.List(sets.KeySet(d))
				m[res] = ids
			}
			per[c.Name] = m
		}
		out[string(p.UID)] = per
	}
	writeJSON(w, http.StatusOK, out)
}

func main() {
	dir := flag.String("dir", "", "device-plugin directory (the kubelet's /var/lib/kubelet/device-plugins); kubelet.sock is created in it")
	listen := flag.String("listen", "127.0.0.1:0", "loopback address of the control HTTP server")
	podResourcesSocket := flag.String("pod-resources-socket", "", "serve the kubelet pod-resources v1 API on this unix socket (optional)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "devicemanager: --dir is required (a temporary device-plugin directory)")
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "devicemanager: %v\n", err)
		os.Exit(1)
	}
	socket := filepath.Join(*dir, "kubelet.sock")
	mgr, err := newManagerImpl(socket, []cadvisorapi.Node{{Id: 0}}, noAffinity{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "devicemanager: %v\n", err)
		os.Exit(1)
	}
	h := &harness{mgr: mgr, active: map[string]*v1.Pod{}}
	if err := mgr.Start(h.activePods, allReady{}, containermap.NewContainerMap(), sets.New[string]()); err != nil {
		fmt.Fprintf(os.Stderr, "devicemanager: start: %v\n", err)
		os.Exit(1)
	}
	// Drain device health updates like the kubelet's sync loop does.
	go func() {
		for range mgr.Updates() {
		}
	}()

	if *podResourcesSocket != "" {
		prs, err := servePodResources(*podResourcesSocket, h)
		if err != nil {
			fmt.Fprintf(os.Stderr, "devicemanager: pod-resources: %v\n", err)
			os.Exit(1)
		}
		defer prs.Stop()
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devicemanager: listen: %v\n", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /capacity", h.capacity)
	mux.HandleFunc("GET /devices", h.devices)
	mux.HandleFunc("GET /pods", h.pods)
	mux.HandleFunc("POST /admit", h.admit)
	mux.HandleFunc("POST /release", h.release)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	line, _ := json.Marshal(map[string]string{"url": "http://" + ln.Addr().String(), "socket": socket, "podResourcesSocket": *podResourcesSocket})
	fmt.Println(string(line))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = mgr.Stop()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "devicemanager: serve: %v\n", err)
		os.Exit(1)
	}
}
