package kafkax_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rig-dev/rig/clients/go/connect/kafkax"
	"github.com/rig-dev/rig/clients/go/rig"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestNamesAndOptsComeFromTheEndpoint(t *testing.T) {
	e := rig.Endpoint{Host: "127.0.0.1", Port: 9, Attributes: map[string]string{"KAFKA_BROKERS": "127.0.0.1:9", "KAFKA_TOPIC_PREFIX": "rig-1234abcd."}}
	if got := kafkax.Name(e, "orders"); got != "rig-1234abcd.orders" {
		t.Errorf("Name: %s", got)
	}
	if opts, err := kafkax.Opts(e); err != nil || len(opts) != 1 {
		t.Errorf("Opts: %v, %v", opts, err)
	}
	if _, err := kafkax.Opts(rig.Endpoint{Host: "h", Port: 1}); err == nil || !strings.Contains(err.Error(), "no KAFKA_BROKERS") {
		t.Errorf("an endpoint without KAFKA_BROKERS: %v", err)
	}
}

// franz-go asks for the newest protocol versions; through rig's observing proxy it gets
// what the proxy decodes, and the produce is recorded with its JSON value.
func TestFranzGoThroughRigsKafkaProxy(t *testing.T) {
	if os.Getenv("RIG_SERVER") == "" {
		t.Skip("no rigd: set RIG_SERVER (scripts/test-clients.sh does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := rig.Up(t, rig.Services{"bus": rig.Kafka().Topic("orders", 2)})
	bus := env.Endpoint("bus")
	topic := kafkax.Name(bus, "orders")

	producer, err := kafkax.Client(ctx, bus)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	if err := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("g-1"), Value: []byte(`{"by":"franz-go"}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	consumer, err := kafkax.Client(ctx, bus, kgo.ConsumeTopics(topic), kgo.ConsumerGroup(kafkax.Name(bus, "go")), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var got *kgo.Record
	for got == nil {
		fetches := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("nothing consumed: %v", fetches.Errors())
		}
		fetches.EachRecord(func(r *kgo.Record) { got = r })
	}
	if string(got.Key) != "g-1" || string(got.Value) != `{"by":"franz-go"}` {
		t.Fatalf("consumed %s=%s", got.Key, got.Value)
	}

	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		events, err := env.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			for _, r := range ev.GetKafkaProduced().GetRecords() {
				if r.GetKeyText() == "g-1" {
					var value map[string]string
					if err := json.Unmarshal([]byte(r.GetValueJson()), &value); err != nil || value["by"] != "franz-go" || r.GetTopic() != topic {
						t.Fatalf("recorded %v (%v)", r, err)
					}
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no kafka.produced event with key g-1")
		}
	}
}
