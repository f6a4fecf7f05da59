package export

import (
	"os/exec"
	"strings"
	"testing"
)

// The package stays pure: no Redis, no WeCom, none of the bot's stateful
// packages.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/changzhi-amr/choucha/"
	forbidden := []string{"github.com/redis/go-redis", "github.com/go-redis", "github.com/silenceper/wechat",
		mod + "bot", mod + "config", mod + "store", mod + "outbox", mod + "wecomapi", mod + "scheduler", mod + "handlers"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("export depends on %s", dep)
			}
		}
	}
}
