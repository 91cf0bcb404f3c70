package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// runAsMain marks a child process started by cluster: it runs main's
// replica mode (the test binary re-executes itself the same way).
const runAsMain = "EXTAUTH_REPLICAS_MAIN"

// cluster runs the replica processes, each on a fixed loopback port so a
// restarted replica takes its old place behind the proxy.
type cluster struct {
	cfg   replicaConfig // Name and Listen are per replica
	ports []int
	out   io.Writer // the replicas' logs

	mu    sync.Mutex
	procs []*exec.Cmd
	done  []chan struct{}
}

func newCluster(n int, cfg replicaConfig, out io.Writer) (*cluster, error) {
	c := &cluster{cfg: cfg, out: out, procs: make([]*exec.Cmd, n), done: make([]chan struct{}, n)}
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		c.ports = append(c.ports, l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	return c, nil
}

func (c *cluster) urls() []string {
	var out []string
	for _, p := range c.ports {
		out = append(out, "http://127.0.0.1:"+strconv.Itoa(p))
	}
	return out
}

// start starts replica i and waits until it answers.
func (c *cluster) start(ctx context.Context, i int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	s := c.cfg.Schedule
	cmd := exec.Command(exe, "replica",
		"-name", "replica-"+strconv.Itoa(i+1), "-listen", "127.0.0.1:"+strconv.Itoa(c.ports[i]),
		"-table", c.cfg.Table, "-issuer", c.cfg.Issuer,
		"-rotation", s.Rotation.String(), "-publish-lead", s.PublishLead.String(),
		"-max-ttl", s.MaxTTL.String(), "-refresh", s.Refresh.String())
	// Secrets go by environment, not argv (visible in ps).
	cmd.Env = append(os.Environ(), runAsMain+"=1", "DATABASE_URL="+c.cfg.Database, "EXTAUTH_KEK="+c.cfg.KEK)
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("replica %d: %w", i+1, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	c.mu.Lock()
	c.procs[i], c.done[i] = cmd, done
	c.mu.Unlock()
	return c.waitReady(ctx, i, done)
}

func (c *cluster) waitReady(ctx context.Context, i int, done chan struct{}) error {
	url := c.urls()[i] + "/.well-known/jwks.json"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("replica %d exited before it served (see its log)", i+1)
		case <-ctx.Done():
			return fmt.Errorf("replica %d did not serve in 30 s", i+1)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL to replica i (no shutdown, as a crash or OOM kill)
// and waits until it is gone.
func (c *cluster) kill(i int) error {
	c.mu.Lock()
	cmd, done := c.procs[i], c.done[i]
	c.procs[i] = nil
	c.mu.Unlock()
	if cmd == nil {
		return errors.New("replica not running")
	}
	if err := cmd.Process.Kill(); err != nil {
		return err
	}
	<-done
	return nil
}

// stop shuts every replica down gracefully.
func (c *cluster) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, cmd := range c.procs {
		if cmd == nil {
			continue
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done[i]:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-c.done[i]
		}
		c.procs[i] = nil
	}
}
