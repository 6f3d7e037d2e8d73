package rig

import (
	"fmt"
	"sort"
)

// handlerRegistry maps the names put in the spec (ClientFuncHook.name,
// ClientConfig.start_handler) back to the closures of one environment.
type handlerRegistry struct {
	hooks  map[string]HookFunc
	starts map[string]FuncServe
}

func newHandlerRegistry() *handlerRegistry {
	return &handlerRegistry{hooks: map[string]HookFunc{}, starts: map[string]FuncServe{}}
}

func (r *handlerRegistry) addHook(name string, fn HookFunc) error {
	if fn == nil {
		return fmt.Errorf("hook %q: nil function", name)
	}
	if err := r.checkFree(name); err != nil {
		return err
	}
	r.hooks[name] = fn
	return nil
}

func (r *handlerRegistry) addStart(name string, fn FuncServe) error {
	if err := r.checkFree(name); err != nil {
		return err
	}
	r.starts[name] = fn
	return nil
}

func (r *handlerRegistry) checkFree(name string) error {
	_, hook := r.hooks[name]
	_, start := r.starts[name]
	if hook || start {
		return fmt.Errorf("handler %q registered twice", name)
	}
	return nil
}

// names lists every registered handler, for error messages.
func (r *handlerRegistry) names() []string {
	var names []string
	for n := range r.hooks {
		names = append(names, n)
	}
	for n := range r.starts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
