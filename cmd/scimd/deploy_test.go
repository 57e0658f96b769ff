package main

// The files under deploy/ (Kubernetes manifests, Prometheus scrape configuration and alerting
// rules, the Grafana dashboard) must stay true to the code. These tests check them against
// what scimd really serves and reads: the metric families and labels of a running scimd's
// /metrics, the environment variables of scimd's and scimctl's flags, and scimd's own
// configuration parser. They do not replace kubectl or promtool, which are not run here.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/scimd/scimd/internal/store/backend/backendtest"
)

// deployDir is the repository's deploy/ directory, seen from this package.
const deployDir = "../../deploy"

// Bounds in scimd that the manifests must respect; they are unexported constants of other
// packages, so they are repeated here.
const (
	readyzPingTimeout  = 2 * time.Second // httpapi readyTimeout: /readyz's database ping
	finalFlushTimeout  = 5 * time.Second // auth flushTimeout: token last-used times at shutdown
	distrolessNonroot  = 65532           // uid and gid of USER nonroot in gcr.io/distroless
	expectedScrapeJob  = "scimd"         // the job label the rules and the dashboard select
	deploymentName     = "scimd"
	scimdContainerName = "scimd"
)

// family is one metric family of /metrics: its type and the label names of its samples.
type family struct {
	typ    string
	labels map[string]bool
}

// scrapeMetrics runs scimd on a fresh PostgreSQL database, wired as main wires it, serves one
// request (vector families appear only once they have a child) and returns /metrics' families.
func scrapeMetrics(t *testing.T) map[string]*family {
	t.Helper()
	dbURL := backendtest.NewDatabaseURL(t, "scimd_deploy")
	s := startServer(t, map[string]string{"SCIMD_DATABASE_URL": dbURL}, "--data-dir", t.TempDir())
	code, _ := get(t, s.api+"/healthz", "")
	require.Equal(t, 200, code)
	code, body := get(t, s.metrics+"/metrics", "")
	require.Equal(t, 200, code)

	fams := map[string]*family{}
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			require.Len(t, f, 2, line)
			fams[f[0]] = &family{typ: f[1], labels: map[string]bool{}}
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels := parseSample(line)
		f := lookupFamily(fams, name)
		require.NotNil(t, f, "sample without a TYPE: %s", line)
		for _, l := range labels {
			f.labels[l] = true
		}
	}
	return fams
}

// parseSample splits a text-format sample line into its name and label names.
func parseSample(line string) (name string, labels []string) {
	end := strings.IndexAny(line, "{ ")
	if end < 0 || line[end] != '{' {
		return line[:max(end, 0)], nil
	}
	name, s := line[:end], line[end+1:]
	for {
		s = strings.TrimLeft(s, ", ")
		eq := strings.IndexByte(s, '=')
		if s == "" || s[0] == '}' || eq < 0 {
			return name, labels
		}
		labels = append(labels, s[:eq])
		s = s[eq+1:] // the quoted value
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' {
				i++
			}
		}
		s = s[min(i+1, len(s)):]
	}
}

// lookupFamily finds the family of a metric name as PromQL writes it: the family itself, or a
// histogram's _bucket, _sum or _count series (_sum and _count of a summary).
func lookupFamily(fams map[string]*family, name string) *family {
	if f := fams[name]; f != nil {
		return f
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if f := fams[base]; ok && f != nil && (f.typ == "histogram" || f.typ == "summary" && suffix != "_bucket") {
			return f
		}
	}
	return nil
}

var (
	// metricNameRE finds scimd's metric names (and the Go, process and promhttp collectors').
	metricNameRE = regexp.MustCompile(`\b(?:scim|go|process|promhttp)_[a-zA-Z0-9_]*[a-zA-Z0-9]`)
	// selectorRE finds a PromQL vector selector with label matchers: name{...}.
	selectorRE = regexp.MustCompile(`\b((?:scim|go|process|promhttp)_[a-zA-Z0-9_]+)\{([^}]*)\}`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"`)
	// groupingRE finds the label lists of by (...) and without (...).
	groupingRE = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	envVarRE   = regexp.MustCompile(`\bSCIMD_[A-Z0-9_]+`)
)

// targetLabels are added by Prometheus to every series, not served by scimd.
var targetLabels = []string{"job", "instance"}

// TestDeployMetricsExist: every metric name in deploy/ (rules, scrape configs, dashboard,
// manifests, comments included) is one scimd serves, and every label the PromQL in the rules
// and the dashboard matches or groups by is one that metric (or any, for grouping) carries.
func TestDeployMetricsExist(t *testing.T) {
	t.Parallel()
	fams := scrapeMetrics(t)
	allLabels := map[string]bool{"le": true, "quantile": true}
	for _, l := range targetLabels {
		allLabels[l] = true
	}
	for _, f := range fams {
		for l := range f.labels {
			allLabels[l] = true
		}
	}

	files := deployFiles(t, "prometheus/*.yml", "grafana/*.json", "kubernetes/*.yaml")
	names := 0
	for _, file := range files {
		raw := readFile(t, file)
		for _, name := range metricNameRE.FindAllString(raw, -1) {
			names++
			assert.NotNil(t, lookupFamily(fams, name), "%s: metric %s is not served by scimd", file, name)
		}
		for _, expr := range promQLStrings(t, file, raw) {
			for _, m := range selectorRE.FindAllStringSubmatch(expr, -1) {
				f := lookupFamily(fams, m[1])
				if f == nil {
					continue // reported above
				}
				for _, lm := range matcherRE.FindAllStringSubmatch(m[2], -1) {
					l := lm[1]
					ok := f.labels[l] || slices.Contains(targetLabels, l) || (l == "le" && strings.HasSuffix(m[1], "_bucket"))
					assert.True(t, ok, "%s: %s has no label %q (in %s)", file, m[1], l, expr)
				}
			}
			for _, m := range groupingRE.FindAllStringSubmatch(expr, -1) {
				for l := range strings.SplitSeq(m[1], ",") {
					if l = strings.TrimSpace(l); l != "" {
						assert.True(t, allLabels[l], "%s: no scimd metric has label %q (in %s)", file, l, expr)
					}
				}
			}
		}
	}
	assert.Greater(t, names, 40, "suspiciously few metric names found in deploy/")
}

// promQLStrings returns the strings of a deploy file in which PromQL may appear, decoded (no
// JSON escapes): every string value of a JSON file, every scalar of a YAML file.
func promQLStrings(t *testing.T, file, raw string) []string {
	var out []string
	if strings.HasSuffix(file, ".json") {
		var v any
		require.NoError(t, json.Unmarshal([]byte(raw), &v), file)
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				out = append(out, v)
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for _, e := range v {
					walk(e)
				}
			}
		}
		walk(v)
		return out
	}
	for _, doc := range yamlDocs(t, file) {
		var walk func(*yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode {
				out = append(out, n.Value)
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(doc)
	}
	return out
}

// knownEnv returns the environment variables scimd reads (from its flags' --help, which names
// each flag's variable) and those scimctl reads (the variable names in its source).
func knownEnv(t *testing.T) (scimd, scimctl map[string]bool) {
	t.Helper()
	var help bytes.Buffer
	_, err := parseConfig([]string{"--help"}, func(string) string { return "" }, &help)
	require.ErrorIs(t, err, flag.ErrHelp)
	scimd = map[string]bool{}
	for _, m := range regexp.MustCompile(`\(env (SCIMD_[A-Z0-9_]+)\)`).FindAllStringSubmatch(help.String(), -1) {
		scimd[m[1]] = true
	}
	require.Contains(t, scimd, "SCIMD_DATABASE_URL")

	scimctl = map[string]bool{}
	srcs, err := filepath.Glob("../scimctl/*.go")
	require.NoError(t, err)
	for _, src := range srcs {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		for _, m := range regexp.MustCompile(`"(SCIMD_[A-Z0-9_]+)"`).FindAllStringSubmatch(readFile(t, src), -1) {
			scimctl[m[1]] = true
		}
	}
	require.Contains(t, scimctl, "SCIMD_DATABASE_URL")
	return scimd, scimctl
}

// Just enough of the Kubernetes objects for the checks below.
type (
	k8sMeta struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	}
	k8sProbe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"`
		} `yaml:"httpGet"`
		TimeoutSeconds int `yaml:"timeoutSeconds"`
	}
	k8sContainer struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Env     []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		StartupProbe   *k8sProbe `yaml:"startupProbe"`
		LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
		ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
		Lifecycle      *struct {
			PreStop *struct {
				Sleep *struct {
					Seconds int `yaml:"seconds"`
				} `yaml:"sleep"`
			} `yaml:"preStop"`
		} `yaml:"lifecycle"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
		} `yaml:"securityContext"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
	}
	k8sPodTemplate struct {
		Metadata k8sMeta `yaml:"metadata"`
		Spec     struct {
			TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
			SecurityContext               struct {
				RunAsNonRoot bool `yaml:"runAsNonRoot"`
				RunAsUser    int  `yaml:"runAsUser"`
				RunAsGroup   int  `yaml:"runAsGroup"`
			} `yaml:"securityContext"`
			Containers []k8sContainer `yaml:"containers"`
		} `yaml:"spec"`
	}
	k8sSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	// k8sObject is the union of the fields used from every kind in deploy/kubernetes.
	k8sObject struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   k8sMeta           `yaml:"metadata"`
		StringData map[string]string `yaml:"stringData"` // Secret
		Resources  []string          `yaml:"resources"`  // Kustomization
		Spec       struct {
			Replicas *int           `yaml:"replicas"`
			Template k8sPodTemplate `yaml:"template"`
			Selector yaml.Node      `yaml:"selector"` // matchLabels, or a Service's plain map
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
			ScaleTargetRef struct {
				Kind string `yaml:"kind"`
				Name string `yaml:"name"`
			} `yaml:"scaleTargetRef"`
			MinReplicas int    `yaml:"minReplicas"`
			JobLabel    string `yaml:"jobLabel"`
			Endpoints   []struct {
				Port string `yaml:"port"`
				Path string `yaml:"path"`
			} `yaml:"endpoints"`
		} `yaml:"spec"`
		file string
	}
)

// selector returns the object's label selector: spec.selector.matchLabels, or a Service's
// spec.selector map.
func (o *k8sObject) selector(t *testing.T) map[string]string {
	var sel k8sSelector
	require.NoError(t, o.Spec.Selector.Decode(&sel), o.file)
	if o.Kind == "Service" {
		var m map[string]string
		require.NoError(t, o.Spec.Selector.Decode(&m), o.file)
		return m
	}
	return sel.MatchLabels
}

// matches reports whether labels satisfy a non-empty selector.
func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

// TestDeployKubernetes checks deploy/kubernetes: standard kinds, no namespace, every SCIMD_*
// variable one that scimd or scimctl reads, a Deployment configuration that scimd's own parser
// accepts (listening on 0.0.0.0 on the container ports), probes on /healthz and /readyz, a
// grace period longer than scimd's shutdown, and objects that refer to each other correctly.
func TestDeployKubernetes(t *testing.T) {
	t.Parallel()
	scimdEnv, scimctlEnv := knownEnv(t)
	allowed := map[string]string{ // kind -> apiVersion
		"Deployment": "apps/v1", "Service": "v1", "Secret": "v1", "Job": "batch/v1",
		"PodDisruptionBudget": "policy/v1", "HorizontalPodAutoscaler": "autoscaling/v2",
		"ServiceMonitor": "monitoring.coreos.com/v1", "Kustomization": "kustomize.config.k8s.io/v1beta1",
	}
	byKind := map[string][]*k8sObject{}
	for _, file := range deployFiles(t, "kubernetes/*.yaml") {
		for _, v := range envVarRE.FindAllString(readFile(t, file), -1) {
			assert.True(t, scimdEnv[v] || scimctlEnv[v], "%s: %s is read by neither scimd nor scimctl", file, v)
		}
		for _, doc := range yamlDocs(t, file) {
			o := &k8sObject{file: filepath.Base(file)}
			require.NoError(t, doc.Decode(o), file)
			assert.Equal(t, allowed[o.Kind], o.APIVersion, "%s: kind %q", file, o.Kind)
			assert.Empty(t, o.Metadata.Namespace, "%s: resources are namespace-agnostic", file)
			byKind[o.Kind] = append(byKind[o.Kind], o)
		}
	}
	one := func(kind string) *k8sObject {
		require.Len(t, byKind[kind], 1, "one %s", kind)
		return byKind[kind][0]
	}

	kust := one("Kustomization")
	for _, r := range kust.Resources {
		_, err := os.Stat(filepath.Join(deployDir, "kubernetes", r))
		assert.NoError(t, err, "kustomization resource %s", r)
	}
	assert.NotContains(t, kust.Resources, one("Secret").file,
		"the Secret example must not be applied: it would overwrite the real Secret")

	secret := one("Secret")
	dep := one("Deployment")
	assert.Equal(t, deploymentName, dep.Metadata.Name)
	require.NotNil(t, dep.Spec.Replicas)
	assert.GreaterOrEqual(t, *dep.Spec.Replicas, 2, "replicas")
	podLabels := dep.Spec.Template.Metadata.Labels
	assert.True(t, matches(dep.selector(t), podLabels), "Deployment selector matches its pods")
	pod := dep.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	assert.Equal(t, scimdContainerName, c.Name)

	// The container's environment, with the Secret example standing in for secretKeyRef, is a
	// configuration scimd's parser accepts.
	env := map[string]string{}
	for _, e := range c.Env {
		assert.True(t, scimdEnv[e.Name] || !strings.HasPrefix(e.Name, "SCIMD_"), "scimd does not read %s", e.Name)
		env[e.Name] = e.Value
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			assert.Equal(t, secret.Metadata.Name, ref.Name, "%s: secretKeyRef names the example Secret", e.Name)
			require.Contains(t, secret.StringData, ref.Key, "the Secret example has key %s", ref.Key)
			env[e.Name] = secret.StringData[ref.Key]
		}
	}
	assert.True(t, strings.HasPrefix(env["SCIMD_DATABASE_URL"], "postgres://"), "replicas need PostgreSQL")
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err, "scimd rejects the Deployment's configuration")
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for name, addr := range map[string]string{"http": cfg.listen, "metrics": cfg.metricsListen} {
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, addr)
		assert.Equal(t, "0.0.0.0", host, "%s listens on all interfaces in the pod", name)
		assert.Equal(t, strconv.Itoa(ports[name]), port, "container port %q is scimd's listen port", name)
	}

	for name, pr := range map[string]struct {
		probe *k8sProbe
		path  string
	}{"startup": {c.StartupProbe, "/healthz"}, "liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}} {
		require.NotNil(t, pr.probe, "%s probe", name)
		require.NotNil(t, pr.probe.HTTPGet, "%s probe", name)
		assert.Equal(t, pr.path, pr.probe.HTTPGet.Path, "%s probe", name)
		assert.Equal(t, "http", pr.probe.HTTPGet.Port, "%s probe", name)
	}
	assert.Greater(t, time.Duration(c.ReadinessProbe.TimeoutSeconds)*time.Second, readyzPingTimeout,
		"the readiness probe must wait longer than /readyz's database ping")

	preStop := 0
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}
	require.NotNil(t, pod.TerminationGracePeriodSeconds)
	assert.GreaterOrEqual(t, time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second,
		time.Duration(preStop)*time.Second+cfg.shutdownTimeout+finalFlushTimeout+5*time.Second,
		"terminationGracePeriodSeconds must cover preStop + shutdown timeout + final flush, with a margin")

	dockerfile := readFile(t, "../../Dockerfile")
	assert.Contains(t, dockerfile, "distroless/static-debian12:nonroot")
	assert.Contains(t, dockerfile, "USER nonroot:nonroot")
	assert.Contains(t, dockerfile, "/out/scimctl /usr/local/bin/", "the image contains scimctl")
	for _, tpl := range []k8sPodTemplate{dep.Spec.Template, one("Job").Spec.Template} {
		sc := tpl.Spec.SecurityContext
		assert.True(t, sc.RunAsNonRoot)
		assert.Equal(t, distrolessNonroot, sc.RunAsUser, "the image's nonroot user")
		assert.Equal(t, distrolessNonroot, sc.RunAsGroup, "the image's nonroot group")
		for _, c := range tpl.Spec.Containers {
			assert.True(t, c.SecurityContext.ReadOnlyRootFilesystem, c.Name)
			assert.False(t, c.SecurityContext.AllowPrivilegeEscalation, c.Name)
			assert.NotEmpty(t, c.Resources.Requests, c.Name)
			assert.NotEmpty(t, c.Resources.Limits["memory"], c.Name)
		}
	}

	// The scimctl Job runs scimctl with variables scimctl reads.
	job := one("Job").Spec.Template.Spec.Containers
	require.Len(t, job, 1)
	require.NotEmpty(t, job[0].Command)
	assert.Equal(t, "/usr/local/bin/scimctl", job[0].Command[0])
	for _, e := range job[0].Env {
		assert.True(t, scimctlEnv[e.Name], "scimctl does not read %s", e.Name)
	}

	// Services reach the container's named ports; the ServiceMonitor scrapes the metrics one
	// under job="scimd"; the PDB and the HPA refer to the Deployment's pods.
	svcPorts := map[string]*k8sObject{}
	for _, svc := range byKind["Service"] {
		assert.True(t, matches(svc.selector(t), podLabels), "Service %s selects the pods", svc.Metadata.Name)
		for _, p := range svc.Spec.Ports {
			assert.Contains(t, ports, p.TargetPort, "Service %s targetPort", svc.Metadata.Name)
			svcPorts[p.Name] = svc
		}
	}
	require.Contains(t, svcPorts, "http")
	require.Contains(t, svcPorts, "metrics")
	assert.NotEqual(t, svcPorts["http"].Metadata.Name, svcPorts["metrics"].Metadata.Name,
		"metrics on a Service of their own")
	sm := one("ServiceMonitor")
	metricsSvc := svcPorts["metrics"]
	assert.True(t, matches(sm.selector(t), metricsSvc.Metadata.Labels), "ServiceMonitor selects %s", metricsSvc.Metadata.Name)
	assert.False(t, matches(sm.selector(t), svcPorts["http"].Metadata.Labels), "ServiceMonitor must not select the API Service")
	require.Len(t, sm.Spec.Endpoints, 1)
	assert.Equal(t, "metrics", sm.Spec.Endpoints[0].Port)
	assert.Equal(t, "/metrics", sm.Spec.Endpoints[0].Path)
	assert.Equal(t, expectedScrapeJob, metricsSvc.Metadata.Labels[sm.Spec.JobLabel], "ServiceMonitor job label")
	assert.True(t, matches(one("PodDisruptionBudget").selector(t), podLabels), "PDB selects the pods")
	hpa := one("HorizontalPodAutoscaler")
	assert.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
	assert.Equal(t, dep.Metadata.Name, hpa.Spec.ScaleTargetRef.Name)
	assert.GreaterOrEqual(t, hpa.Spec.MinReplicas, 2)
}

// TestDeployPrometheusAndGrafana checks the structure of the rules, the scrape configurations
// and the dashboard; TestDeployMetricsExist checks their metric names.
func TestDeployPrometheusAndGrafana(t *testing.T) {
	t.Parallel()

	type rule struct {
		Alert       string            `yaml:"alert"`
		Expr        string            `yaml:"expr"`
		For         string            `yaml:"for"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	decodeStrict(t, filepath.Join(deployDir, "prometheus/scimd-rules.yml"), &rules)
	require.NotEmpty(t, rules.Groups)
	seen := map[string]bool{}
	for _, g := range rules.Groups {
		require.NotEmpty(t, g.Name)
		for _, r := range g.Rules {
			assert.NotEmpty(t, r.Alert, "a rule without alert: recording rules are not expected")
			assert.False(t, seen[r.Alert], "duplicate alert %s", r.Alert)
			seen[r.Alert] = true
			assert.NotEmpty(t, r.Expr, r.Alert)
			assert.Equal(t, strings.Count(r.Expr, "("), strings.Count(r.Expr, ")"), "%s: parentheses", r.Alert)
			assert.Equal(t, strings.Count(r.Expr, "{"), strings.Count(r.Expr, "}"), "%s: braces", r.Alert)
			assert.Contains(t, r.Expr, `job="`+expectedScrapeJob+`"`, r.Alert)
			if r.For != "" {
				_, err := time.ParseDuration(r.For)
				assert.NoError(t, err, "%s: for", r.Alert)
			}
			assert.Contains(t, []string{"critical", "warning", "info"}, r.Labels["severity"], r.Alert)
			assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
			assert.NotEmpty(t, r.Annotations["description"], r.Alert)
		}
	}
	assert.GreaterOrEqual(t, len(seen), 8)

	// Every scrape job is named as the rules and the dashboard expect; rule files exist.
	for _, file := range deployFiles(t, "prometheus/*.yml") {
		if filepath.Base(file) == "scimd-rules.yml" {
			continue
		}
		var cfg struct {
			RuleFiles     []string         `yaml:"rule_files"`
			ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
		}
		for _, doc := range yamlDocs(t, file) {
			require.NoError(t, doc.Decode(&cfg), file)
		}
		require.NotEmpty(t, cfg.ScrapeConfigs, file)
		for _, sc := range cfg.ScrapeConfigs {
			assert.Equal(t, expectedScrapeJob, sc["job_name"], file)
		}
		for _, rf := range cfg.RuleFiles {
			_, err := os.Stat(filepath.Join(filepath.Dir(file), rf))
			assert.NoError(t, err, "%s: rule file %s", file, rf)
		}
	}

	// The dashboard imports anywhere: its data source is a variable, panels use it, ids are
	// unique.
	var dash struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int            `json:"id"`
			Type       string         `json:"type"`
			Title      string         `json:"title"`
			Datasource map[string]any `json:"datasource"`
			Targets    []struct {
				Datasource map[string]any `json:"datasource"`
				Expr       string         `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(deployDir, "grafana/scimd-dashboard.json"))), &dash))
	assert.NotEmpty(t, dash.UID)
	require.NotEmpty(t, dash.Templating.List)
	assert.Equal(t, "datasource", dash.Templating.List[0].Type)
	assert.Equal(t, "prometheus", dash.Templating.List[0].Query)
	ds := "${" + dash.Templating.List[0].Name + "}"
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		assert.False(t, ids[p.ID], "duplicate panel id %d", p.ID)
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		assert.Equal(t, ds, p.Datasource["uid"], p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			assert.Equal(t, ds, tg.Datasource["uid"], p.Title)
			assert.NotEmpty(t, tg.Expr, p.Title)
		}
	}
}

// deployFiles returns the files under deploy/ that match the patterns; each pattern must match.
func deployFiles(t *testing.T, patterns ...string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(deployDir, p))
		require.NoError(t, err)
		require.NotEmpty(t, m, "no deploy file matches %s", p)
		files = append(files, m...)
	}
	return files
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// yamlDocs parses every document of a YAML file.
func yamlDocs(t *testing.T, file string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, file)))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err, file)
		docs = append(docs, &n)
	}
}

// decodeStrict decodes a one-document YAML file into v, failing on fields v does not have.
func decodeStrict(t *testing.T, file string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, file)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(v), file)
}
