//! The parsed form of a list request. The HTTP layer builds it; the store compiles it to SQL.

/// Which archived state a list includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchivedFilter {
    #[default]
    Exclude,
    Only,
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClientQuery {
    /// 1..=100
    pub limit: u32,
    pub offset: u64,
    pub archived: ArchivedFilter,
    /// Whether to compute the total count of matching rows.
    pub count: bool,
}

impl Default for ClientQuery {
    fn default() -> Self {
        Self {
            limit: 25,
            offset: 0,
            archived: ArchivedFilter::Exclude,
            count: true,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` when counting was skipped.
    pub total: Option<u64>,
}
