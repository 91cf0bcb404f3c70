package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// devserverPkg is the import path of the program under test. The replace
// directive in go.mod makes it resolve to the working tree.
const devserverPkg = "github.com/extauth/extauth/examples/devserver"

// devserverBin is the path of the devserver binary that TestMain builds once
// for all tests. It is set before any test runs and never changes after.
var devserverBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse() // testing.Verbose needs the flags
	dir, err := os.MkdirTemp("", "extauth-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: make a temp dir for the devserver binary:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "devserver")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, devserverPkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build %s: %v\n%s", devserverPkg, err, out)
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("e2e: built the devserver in %v\n", time.Since(start).Round(time.Millisecond))
	}
	devserverBin = bin
	return m.Run()
}
