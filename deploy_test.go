package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/changzhi-amr/choucha/config"
)

// The deployment configs load: every key known and valid, with their plan
// paths (absolute in the image or under /opt) pointed at this tree's seeds.
func TestDeployConfigsLoad(t *testing.T) {
	seeds, err := filepath.Abs("seeds")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deploy/config.compose.yaml", "deploy/config.systemd.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer("/app/seeds", seeds, "/opt/choucha/seeds", seeds).Replace(string(data))
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !filepath.IsAbs(cfg.Findings.MediaDir) && !strings.HasPrefix(cfg.Findings.MediaDir, "/var/lib/choucha") {
			t.Errorf("%s: findings.media_dir %q is not under the state directory", name, cfg.Findings.MediaDir)
		}
		if strings.Contains(name, "compose") && cfg.Redis.URL != "redis://redis:6379/0" {
			t.Errorf("%s: redis.url %q, want the compose service", name, cfg.Redis.URL)
		}
		if strings.Contains(name, "systemd") && cfg.Redis.URL == "" && !strings.HasPrefix(cfg.Redis.Dir, "/var/lib/choucha/") {
			t.Errorf("%s: managed redis in %q, outside the unit's StateDirectory", name, cfg.Redis.Dir)
		}
	}
}

// docker-compose.yml keeps what the deployment promises: two bot replicas
// on the shared Redis with durable appends and a volume, the proxy with
// the mounted certificate in front of both, secrets only from .env.
func TestDockerCompose(t *testing.T) {
	data, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			EnvFile     any               `yaml:"env_file"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			Ports       []string          `yaml:"ports"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"bot1", "bot2"} {
		s, ok := doc.Services[b]
		if !ok || s.Build == nil || !slices.Contains(s.Command, "serve") || s.EnvFile != ".env" || len(s.Ports) > 0 {
			t.Errorf("service %s: %+v", b, s)
		}
		if !slices.Contains(s.Volumes, "media:/var/lib/choucha/media") {
			t.Errorf("service %s does not share the media volume: %v", b, s.Volumes)
		}
	}
	r := doc.Services["redis"]
	cmd := strings.Join(r.Command, " ")
	if !strings.Contains(cmd, "--appendonly yes") || !strings.Contains(cmd, "--appendfsync always") || !slices.Contains(r.Volumes, "redis-data:/data") {
		t.Errorf("redis: %q %v", cmd, r.Volumes)
	}
	p := doc.Services["proxy"]
	if !slices.Contains(p.Volumes, "./deploy/certs:/certs:ro") || !slices.Contains(p.Ports, "443:443") {
		t.Errorf("proxy: %+v", p)
	}
	for _, v := range []string{"redis-data", "media"} {
		if _, ok := doc.Volumes[v]; !ok {
			t.Errorf("volume %s not declared", v)
		}
	}
	if regexp.MustCompile(`WECOM_(SECRET|TOKEN|AES_KEY)\s*[:=]\s*\S`).Match(data) {
		t.Error("a secret is written into docker-compose.yml")
	}

	caddy, err := os.ReadFile("deploy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tls /certs/fullchain.pem /certs/privkey.pem", "reverse_proxy bot1:8080 bot2:8080", "handle /wecom/callback*", "health_uri /healthz"} {
		if !strings.Contains(string(caddy), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	conf, err := os.ReadFile("deploy/config.compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "callback_path: /wecom/callback") {
		t.Error("the proxy's callback path and the bot's differ")
	}
}

// The image builds a static binary and runs it as a non-root user; the
// unit is hardened and takes its secrets from an EnvironmentFile.
func TestDockerfileAndUnit(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", "FROM gcr.io/distroless/static", "AS build"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	unit, err := os.ReadFile("deploy/choucha.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "Restart=on-failure", "EnvironmentFile=/etc/choucha/choucha.env",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=choucha", "CapabilityBoundingSet=\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("choucha.service lacks %q", want)
		}
	}
}
