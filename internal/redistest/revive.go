package redistest

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
)

// Kill stops the server with SIGKILL, as a crash, and waits for it to exit
// (Stop does the same). Revive brings it back.
func (s *Server) Kill() { s.Stop() }

// Revive starts a stopped server again on the same address and directory,
// from its append-only file, as a supervisor restarting it would: clients
// keep their address and reconnect.
func (s *Server) Revive() error {
	if s.cmd != nil {
		return fmt.Errorf("redistest: server on %s is running", s.Addr)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found in PATH: %w", err)
	}
	_, portStr, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return err
	}
	n, err := startOn(bin, s.Dir, port)
	if err != nil {
		return err
	}
	s.cmd = n.cmd
	return nil
}
