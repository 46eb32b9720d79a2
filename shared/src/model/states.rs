//! The states an invitation passes through and the actions the audit log
//! records, as types: each has the code the store keeps and the Vietnamese
//! a person reads, defined once, so a new one cannot be forgotten in a match.
//! The store parses codes into these at its edge; nothing else spells them.

/// An enum whose every variant has a stored code and a Vietnamese label.
macro_rules! coded {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code the store keeps.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// What a person reads.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }

            /// The value a stored code names.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
    };
}

coded! {
    /// Where an invitation stands.
    pub enum InvitationStatus {
        /// Drawn as a reserve, not yet released to anyone.
        Reserve = "reserve", "dự phòng";
        /// Live: its link opens the questionnaire.
        Issued = "issued", "đang chờ";
        Answered = "answered", "đã trả lời";
        /// Answered on paper; counts once the ballot is keyed in.
        Paper = "paper", "trả lời trên giấy";
        Refused = "refused", "từ chối";
        Unreachable = "unreachable", "không liên lạc được";
        WrongNumber = "wrong_number", "sai số điện thoại";
    }
}

impl InvitationStatus {
    /// Closed by an enumerator without an answer: a reserve may take its place.
    pub fn replaceable(self) -> bool {
        matches!(self, Self::Refused | Self::Unreachable | Self::WrongNumber)
    }

    /// Closed by an enumerator's outcome (paper or no answer): may be reopened.
    pub fn reopenable(self) -> bool {
        self == Self::Paper || self.replaceable()
    }
}

coded! {
    /// What an audit line records.
    pub enum AuditAction {
        FrameImport = "frame_import", "Nhập khung chọn mẫu";
        FrameRemove = "frame_remove", "Bỏ danh sách của đơn vị";
        Sample = "sample", "Chọn mẫu";
        MoreReserves = "more_reserves", "Rút thêm dự phòng";
        VillageImport = "village_import", "Nhập danh sách thôn, tổ dân phố";
        VillageDraw = "village_draw", "Chọn thôn, tổ dân phố";
        Paper = "paper", "Ghi: trả lời trên giấy";
        Refused = "refused", "Ghi: từ chối";
        CallFailed = "call_failed", "Ghi: gọi không được";
        WrongNumber = "wrong_number", "Ghi: sai số điện thoại";
        Reopen = "reopen", "Mở lại phiếu mời";
        ReleaseReserve = "release_reserve", "Mời người dự phòng";
        DeviceEnrol = "device_enrol", "Đăng ký màn hình QR";
        DeviceRevoke = "device_revoke", "Thu hồi màn hình tại quầy";
        BallotNumbers = "ballot_numbers", "Cấp số phiếu giấy";
        KeyBallot = "key_ballot", "Nhập phiếu giấy";
        PaperImport = "paper_import", "Nhập tệp phiếu giấy";
        ReviewKeep = "review_keep", "Giữ phiếu bị đánh dấu";
        ExcludeResponse = "exclude_response", "Loại phiếu khỏi chỉ số";
        RestoreResponse = "restore_response", "Đưa phiếu lại vào chỉ số";
        UserDisable = "user_disable", "Tạm ngừng tài khoản";
        UserEnable = "user_enable", "Mở lại tài khoản";
        UserPassword = "user_password", "Đặt lại mật khẩu";
        UserUnits = "user_units", "Giao đơn vị";
        UserUnlock = "user_unlock", "Gỡ khoá đăng nhập";
        UserRevokeTokens = "user_revoke_tokens", "Thu hồi khoá API";
        MailSend = "mail_send", "Gửi thư mời qua thư điện tử";
        MailBounced = "mail_bounced", "Ghi địa chỉ thư bị trả lại";
        OfflinePack = "offline_pack", "Tải phiếu về ứng dụng ngoại tuyến";
    }
}

coded! {
    /// What became of one e-mail to one person.
    pub enum MailStatus {
        /// Claimed and on its way: a run that stops here leaves it so, and
        /// nothing sends it again by itself (it may have arrived).
        Sending = "sending", "chưa rõ (đang gửi thì dừng)";
        Sent = "sent", "đã gửi";
        /// The server refused for now, or could not be reached: the next run tries again.
        Failed = "failed", "gửi lỗi, sẽ gửi lại";
        /// The server refused the address for good: never written to again.
        Bounced = "bounced", "bị trả lại";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_and_no_two_share_a_code_or_label() {
        for all in [
            InvitationStatus::ALL
                .iter()
                .map(|s| (s.code(), s.label(), InvitationStatus::parse(s.code()) == Some(*s)))
                .collect::<Vec<_>>(),
            AuditAction::ALL.iter().map(|a| (a.code(), a.label(), AuditAction::parse(a.code()) == Some(*a))).collect(),
            MailStatus::ALL.iter().map(|a| (a.code(), a.label(), MailStatus::parse(a.code()) == Some(*a))).collect(),
        ] {
            assert!(all.iter().all(|(_, _, back)| *back));
            let codes: std::collections::BTreeSet<_> = all.iter().map(|r| r.0).collect();
            let labels: std::collections::BTreeSet<_> = all.iter().map(|r| r.1).collect();
            assert_eq!((codes.len(), labels.len()), (all.len(), all.len()));
        }
        assert_eq!(InvitationStatus::parse("synced"), None);
        assert!(InvitationStatus::WrongNumber.replaceable() && !InvitationStatus::Paper.replaceable());
        assert!(InvitationStatus::Paper.reopenable() && !InvitationStatus::Answered.reopenable());
    }
}
