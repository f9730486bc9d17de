//! The stores and handlers behind an `Arc` or a `Box` are stores and handlers too: a service
//! keeps a handle on the store its watcher uses, or shares one handler between watchers.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    EventHandler, EventId, EventStore, EventStoreError, Leadership, OrderEvent, PollRecord,
    Progress,
};

macro_rules! forward_store {
    ($pointer:ident) => {
        #[async_trait]
        impl<S: EventStore + ?Sized> EventStore for $pointer<S> {
            async fn lead(&self) -> Result<Leadership, EventStoreError> {
                (**self).lead().await
            }

            async fn load(&self) -> Result<Progress, EventStoreError> {
                (**self).load().await
            }

            async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError> {
                (**self).record(poll).await
            }

            async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError> {
                (**self).acknowledge(event).await
            }
        }

        #[async_trait]
        impl<H: EventHandler + ?Sized> EventHandler for $pointer<H> {
            async fn handle(
                &self,
                event: &OrderEvent,
            ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
                (**self).handle(event).await
            }
        }
    };
}

forward_store!(Arc);
forward_store!(Box);
