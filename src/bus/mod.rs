//! Bus adapters: the in-process bus (embedded default) and RabbitMQ (`bus.url = "amqp://…"`).
//! Both give the runtime's `Bus` port the same at-least-once, ack-after-commit semantics.

pub mod inprocess;
pub mod rabbitmq;
