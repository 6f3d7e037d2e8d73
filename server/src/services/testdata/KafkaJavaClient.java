// A Kafka Java client (kafka-clients, the broker's own jars) for the kafka spec: it
// speaks the flexible protocol versions kafkajs never uses (Metadata v12, Produce v12,
// Fetch v12, FindCoordinator v6, DescribeCluster). Prints the brokers the admin client
// was told about (`broker=host:port`), produces `count` JSON values with keys j0..jN
// compressed with COMPRESSION, then consumes them in a group and prints `key=value`.
// Run: java -cp '<libs>/*' KafkaJavaClient.java BOOTSTRAP TOPIC GROUP COUNT COMPRESSION
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class KafkaJavaClient {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2];
    int count = Integer.parseInt(args[3]);
    Properties a = new Properties();
    a.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(a)) {
      for (Node node : admin.describeCluster().nodes().get()) System.out.println("broker=" + node.host() + ":" + node.port());
    }
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("compression.type", args[4]);
    p.put("linger.ms", "5");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < count; i++) producer.send(new ProducerRecord<>(topic, "j" + i, "{\"n\":" + i + ",\"by\":\"java\"}")).get();
    }
    Properties c = new Properties();
    c.put("bootstrap.servers", bootstrap);
    c.put("group.id", group);
    c.put("auto.offset.reset", "earliest");
    List<String> got = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (got.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) got.add(r.key() + "=" + r.value());
      }
      consumer.commitSync();
    }
    for (String line : got) System.out.println(line);
    if (got.size() < count) System.exit(2);
  }
}
