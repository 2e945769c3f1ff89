// Command testop runs the test OpenID provider for the browser tests
// (web/e2e): testop -addr 127.0.0.1:PORT -redirect URL -user name:password:email …
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/homelabcmd/homelabcmd/oidclogin/oidctest"
)

type userList []oidctest.User

func (u *userList) String() string { return fmt.Sprint(*u) }
func (u *userList) Set(s string) error {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return fmt.Errorf("want name:password:email, got %q", s)
	}
	*u = append(*u, oidctest.User{Username: parts[0], Password: parts[1], Email: parts[2]})
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	redirect := flag.String("redirect", "", "the hub's callback URL")
	var users userList
	flag.Var(&users, "user", "an account, name:password:email (repeat)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	p := oidctest.Start(ln, *redirect, users...)
	fmt.Println(p.Issuer)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	_ = p.Close()
}
