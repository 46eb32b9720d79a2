//! Command-line arguments (SPEC §5).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "sipas",
    version,
    about = "Khảo sát SIPAS và Chỉ số cải cách hành chính: phát phiếu, thu thập, tổng hợp"
)]
pub struct Cli {
    /// Cơ sở dữ liệu: sqlite://tệp.db hoặc postgres://…
    #[arg(long, global = true, env = "DATABASE_URL", default_value = sipas_shared::store::DEFAULT_URL)]
    pub db: String,
    /// Dạng nhật ký trên stderr: text (đọc bằng mắt) hoặc json (một dòng JSON mỗi sự kiện)
    #[arg(long, global = true, value_enum, default_value = "text", env = "SIPAS_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Chạy dịch vụ web
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Nạp đợt khảo sát mẫu vào cơ sở dữ liệu trống: `--demo` (một huyện năm 2022–2026, 15 xã)
        /// hoặc `--demo province` (một tỉnh năm 2026: 100 xã, phường, đặc khu, khảo sát hộ gia đình)
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "district")]
        demo: Option<DemoExample>,
        /// Địa chỉ người dân truy cập, dùng trong đường dẫn và mã QR (mặc định: địa chỉ đang phục vụ)
        #[arg(long, env = "SIPAS_PUBLIC_URL")]
        public_url: Option<String>,
        /// Lấy địa chỉ người dùng từ X-Forwarded-For (khi chạy sau proxy ngược):
        /// `--trust-proxy` cho một proxy, `--trust-proxy N` cho N proxy nối tiếp
        #[arg(long, env = "SIPAS_TRUST_PROXY", num_args = 0..=1, default_missing_value = "1", value_parser = proxy_hops, default_value = "0")]
        trust_proxy: usize,
        /// Tắt giới hạn tần suất theo địa chỉ (chỉ để thử tải trên máy này)
        #[arg(long)]
        no_rate_limits: bool,
        /// Số giây một kết nối có để gửi xong phần đầu yêu cầu (chống kết nối treo)
        #[arg(long, default_value_t = 10)]
        header_timeout: u64,
        /// Số kết nối mở cùng lúc tối đa
        #[arg(long, default_value_t = 1024)]
        max_connections: usize,
    },
    /// Sao lưu cơ sở dữ liệu SQLite khi dịch vụ vẫn chạy (một bản sao nhất quán)
    Backup {
        /// Tệp bản sao sẽ ghi (chưa có)
        #[arg(long)]
        out: PathBuf,
    },
    /// Khôi phục cơ sở dữ liệu SQLite từ một bản sao (dừng dịch vụ trước)
    Restore {
        file: PathBuf,
        /// Thay cơ sở dữ liệu đang có
        #[arg(long)]
        replace: bool,
    },
    /// Đợt khảo sát
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Danh sách giao dịch tại Bộ phận một cửa (khung chọn mẫu)
    #[command(subcommand)]
    Frame(FrameCommand),
    /// Thôn, tổ dân phố và số hộ của từng xã (khảo sát hộ gia đình), và chọn thôn theo quy mô hộ
    #[command(subcommand)]
    Villages(VillageCommand),
    /// Danh sách hộ gia đình của một đơn vị, theo thôn, tổ dân phố
    #[command(subcommand)]
    Households(HouseholdCommand),
    /// Chọn mẫu theo đơn vị × nhóm, phân tầng theo lĩnh vực
    Sample {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        seed: Option<u64>,
        /// Tỷ lệ dự phòng, phần trăm
        #[arg(long, default_value_t = 50)]
        reserve: u32,
    },
    /// Phiếu mời có mã QR để in, CSV đường dẫn để gửi SMS hoặc Zalo;
    /// `send`, `remind`, `bounced`, `status`: thư mời qua thư điện tử
    #[command(args_conflicts_with_subcommands = true)]
    Invitations {
        #[command(subcommand)]
        mail: Option<MailCommand>,
        #[arg(long, required = true)]
        campaign: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, required_unless_present = "counter_posters")]
        format: Option<SlipFormat>,
        /// Áp phích A4 cho Bộ phận một cửa mỗi đơn vị (mã QR cố định), khi đợt cho phép (counter_poster = true)
        #[arg(long)]
        counter_posters: bool,
        /// Địa chỉ người trả lời mở phiếu, in vào mã QR (vd. https://khaosat.quangbinh.gov.vn)
        #[arg(long, env = "SIPAS_PUBLIC_URL", required = true)]
        public_url: Option<String>,
        /// Ghi ra tệp thay vì màn hình
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Phiếu giấy đã nhập
    #[command(subcommand)]
    Responses(ResponsesCommand),
    /// Chỉ số và bảng phân tổ
    Report {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        by: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Tệp kết quả (mặc định: màn hình; XLSX: <mã đợt>-bao-cao.xlsx)
        #[arg(long)]
        out: Option<PathBuf>,
        /// So với đợt khảo sát khác (mã đợt; thường là năm trước, qua tệp sắp xếp đơn vị)
        #[arg(long)]
        compare: Option<String>,
        /// Chỉ phiếu đến theo nguồn: online, offline hoặc paper
        #[arg(long)]
        source: Option<String>,
        /// Chỉ phiếu từ tháng (YYYY-MM)
        #[arg(long)]
        from: Option<String>,
        /// Chỉ phiếu đến tháng (YYYY-MM)
        #[arg(long)]
        to: Option<String>,
    },
    /// Dữ liệu phiếu ẩn danh, mỗi phiếu một dòng
    Export {
        #[arg(long)]
        campaign: String,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Tệp kết quả (mặc định: màn hình; XLSX: <mã đợt>-phieu.xlsx)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Chỉ số cải cách hành chính tổng hợp
    #[command(subcommand)]
    Par(ParCommand),
    /// Dữ liệu mẫu
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Tài khoản cán bộ
    #[command(subcommand)]
    User(UserCommand),
    /// Màn hình, máy tính bảng tại Bộ phận một cửa
    #[command(subcommand)]
    Counter(CounterCommand),
}

#[derive(Subcommand, Debug)]
pub enum CounterCommand {
    /// Đăng ký một màn hình cho Bộ phận một cửa của đơn vị: in đường dẫn màn hình mở (chỉ in một lần)
    Enrol {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        unit: String,
        /// Tên gọi của thiết bị, vd. «Máy tính bảng quầy 1»
        #[arg(long, default_value = "Màn hình tại Bộ phận một cửa")]
        label: String,
        /// Máy tính bảng nhận phiếu thế nào: open, staff (cán bộ bấm sau mỗi giao dịch) hoặc 1in5
        #[arg(long, default_value = "open")]
        mode: String,
        #[arg(long, env = "SIPAS_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Liệt kê các màn hình đã đăng ký của đợt: số, đơn vị, tên, còn dùng hay đã thu hồi
    List {
        #[arg(long)]
        campaign: String,
    },
    /// Thu hồi một màn hình (mất, bị lộ đường dẫn): màn hình và máy tính bảng dừng ngay
    Revoke {
        #[arg(long)]
        campaign: String,
        /// Số của thiết bị, như `sipas counter list` in ra
        #[arg(long)]
        device: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum CampaignCommand {
    /// Tạo hoặc cập nhật đợt khảo sát từ tệp TOML
    Load { file: PathBuf },
    /// Liệt kê các đợt khảo sát, mỗi dòng một đợt, mã đứng đầu
    List,
}

#[derive(Subcommand, Debug)]
pub enum FrameCommand {
    /// Nhập danh sách giao dịch của một đơn vị (CSV hoặc XLSX)
    Import {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        unit: String,
        file: PathBuf,
        /// Bỏ qua các dòng lỗi thay vì từ chối cả tệp
        #[arg(long)]
        skip_bad: bool,
        /// Danh sách (roster) của một nhóm không chọn từ Bộ phận một cửa, vd. delegates
        #[arg(long)]
        group: Option<String>,
        /// Vẫn nhập khi tệp có vẻ là danh sách của đơn vị khác
        #[arg(long)]
        force: bool,
        /// Thay danh sách cũ của đơn vị: bỏ những người chưa được mời (người đã được mời giữ nguyên)
        #[arg(long)]
        replace: bool,
    },
    /// Danh sách của từng đơn vị: số người, số đã chọn vào mẫu (kể cả dự phòng)
    List {
        #[arg(long)]
        campaign: String,
    },
    /// Bỏ danh sách của một đơn vị (người đã được mời giữ nguyên)
    Remove {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        unit: String,
        /// Danh sách của nhóm này (vd. delegates) thay vì khung chọn mẫu
        #[arg(long)]
        group: Option<String>,
    },
}

/// The example campaigns `serve --demo` can load.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoExample {
    /// Huyện Quang Bình (ví dụ): 15 xã, ba nhóm đối tượng
    District,
    /// Tỉnh Hòa Sơn (ví dụ) năm 2026: 100 đơn vị cấp xã, 8 sở, hộ gia đình chọn theo thôn
    Province,
}

#[derive(Subcommand, Debug)]
pub enum VillageCommand {
    /// Nhập danh sách thôn, tổ dân phố (CSV hoặc XLSX: Mã đơn vị hoặc Tên đơn vị, Mã thôn, Tên thôn/tổ dân phố, Số hộ)
    Import {
        #[arg(long)]
        campaign: String,
        file: PathBuf,
        /// Bỏ qua các dòng lỗi thay vì từ chối cả tệp
        #[arg(long)]
        skip_bad: bool,
    },
    /// Chọn thôn, tổ dân phố ở mỗi xã với xác suất tỷ lệ với số hộ (PPS hệ thống); xã đã chọn giữ nguyên
    Draw {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Thôn đã chọn của từng đơn vị, xác suất chọn và số hộ đã có danh sách
    List {
        #[arg(long)]
        campaign: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum HouseholdCommand {
    /// Nhập danh sách hộ của một đơn vị (CSV hoặc XLSX: Mã thôn hoặc Thôn/Tổ dân phố, Họ và tên chủ hộ, Địa chỉ, Số điện thoại nếu có)
    Import {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        unit: String,
        file: PathBuf,
        /// Bỏ qua các dòng lỗi thay vì từ chối cả tệp
        #[arg(long)]
        skip_bad: bool,
        /// Thay danh sách cũ của đơn vị: bỏ những hộ chưa được mời
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ResponsesCommand {
    /// Nhập phiếu giấy từ CSV
    Import {
        #[arg(long)]
        campaign: String,
        file: PathBuf,
        /// Nhập kép: tệp do người thứ hai nhập cùng các phiếu ấy, cùng thứ tự;
        /// chỉ nhập khi hai tệp khớp từng ô
        #[arg(long)]
        verify: Option<PathBuf>,
        /// Cho phép phiếu không số vượt chỉ tiêu của đơn vị × nhóm (quyết định của quản trị viên)
        #[arg(long)]
        allow_over_quota: bool,
    },
    /// Phát số phiếu giấy cho từng đơn vị × nhóm (chỉ tiêu và dự phòng), in danh sách số còn dùng được
    Numbers {
        #[arg(long)]
        campaign: String,
        /// Chỉ một đơn vị
        #[arg(long)]
        unit: Option<String>,
        /// Số phiếu dự phòng, phần trăm chỉ tiêu
        #[arg(long, default_value_t = 20)]
        spare: u32,
    },
    /// Nhập hàng đợi phiếu phỏng vấn ngoại tuyến đã lưu ra tệp (khi máy không gửi được): mỗi phiếu chỉ lưu một lần
    ImportQueue {
        #[arg(long)]
        campaign: String,
        /// Tệp JSON ứng dụng lưu ra («Lưu hàng đợi ra tệp»)
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ParCommand {
    /// Nhập điểm tự đánh giá đã thẩm định
    ImportAppraisal {
        #[arg(long)]
        campaign: String,
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum DemoCommand {
    /// Sinh phiếu trả lời giả lập
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(long)]
    pub campaign: String,
    #[arg(long)]
    pub responses: u64,
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Thêm tài khoản
    Add {
        #[arg(long, value_enum)]
        role: Role,
        /// Đơn vị được giao (điều tra viên): MÃ, hoặc ĐỢT/MÃ
        #[arg(long = "unit")]
        units: Vec<String>,
        /// Đợt khảo sát của các --unit ghi mã trần
        #[arg(long)]
        campaign: Option<String>,
        /// Đọc mật khẩu từ dòng đầu của đầu vào chuẩn thay vì tạo ngẫu nhiên
        #[arg(long)]
        password_stdin: bool,
        name: String,
    },
    /// Cấp khoá API cho tài khoản (in ra một lần); khoá chỉ mở /api/v1
    Token {
        #[arg(long, default_value = "api")]
        label: String,
        /// Số ngày khoá còn hiệu lực
        #[arg(long, default_value_t = sipas_shared::model::auth::TOKEN_DAYS)]
        days: i64,
        name: String,
    },
    /// Danh sách tài khoản
    List,
    /// Tạm ngừng tài khoản: đăng xuất mọi phiên, mọi khoá API ngừng hoạt động
    Disable { name: String },
    /// Mở lại tài khoản đã tạm ngừng
    Enable { name: String },
    /// Đặt lại mật khẩu (tạo ngẫu nhiên, hoặc --password-stdin); đăng xuất mọi phiên
    Passwd {
        #[arg(long)]
        password_stdin: bool,
        name: String,
    },
    /// Đổi đơn vị được giao của điều tra viên
    Units {
        #[arg(long = "unit", required = true)]
        units: Vec<String>,
        #[arg(long)]
        campaign: Option<String>,
        name: String,
    },
    /// Gỡ khoá đăng nhập sau nhiều lần sai
    Unlock { name: String },
    /// Thu hồi mọi khoá API của tài khoản
    Revoke { name: String },
}

/// Thư mời qua thư điện tử (máy chủ SMTP: xem README, mục «Thư điện tử»).
#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Gửi thư mời (đường dẫn riêng, dùng một lần) cho người có địa chỉ thư trong danh sách
    Send {
        #[command(flatten)]
        run: MailRun,
    },
    /// Gửi thư nhắc cho người đã được mời mà chưa trả lời
    Remind {
        #[command(flatten)]
        run: MailRun,
        /// Chỉ nhắc người mà thư gần nhất đã gửi ít nhất chừng này ngày
        #[arg(long, default_value_t = 5)]
        after_days: u32,
        /// Nhắc mỗi người nhiều nhất chừng này lần
        #[arg(long, default_value_t = 2)]
        at_most: u32,
    },
    /// Ghi các địa chỉ bị trả lại (thư báo lỗi của máy chủ nhận): không gửi thêm cho họ
    Bounced {
        #[arg(long)]
        campaign: String,
        /// Tệp văn bản hoặc CSV: mọi địa chỉ thư trong tệp
        file: PathBuf,
    },
    /// Đã gửi, lỗi, bị trả lại, ngừng nhận, đã trả lời: theo nhóm
    Status {
        #[arg(long)]
        campaign: String,
    },
}

#[derive(Args, Debug)]
pub struct MailRun {
    #[arg(long)]
    pub campaign: String,
    /// Một nhóm (vd. cong_chuc); mặc định mọi nhóm có địa chỉ thư
    #[arg(long)]
    pub group: Option<String>,
    /// Địa chỉ người trả lời mở phiếu (vd. https://khaosat.quangbinh.gov.vn)
    #[arg(long, env = "SIPAS_PUBLIC_URL")]
    pub public_url: String,
    /// Số thư mỗi phút nhiều nhất (giới hạn của nhà cung cấp thư; mặc định SIPAS_MAIL_PER_MINUTE hoặc 60)
    #[arg(long)]
    pub per_minute: Option<u32>,
    /// Số giây chờ trước khi gửi lại một thư máy chủ chưa nhận (gấp đôi mỗi lần)
    #[arg(long, default_value_t = 5)]
    pub retry_pause: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SlipFormat {
    Html,
    Csv,
    /// Tệp tải lên hàng loạt của Zalo ZNS (phone, ten, don_vi, so_phut, ma_phieu, ma_lien_ket)
    Zalo,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
    Csv,
    Xlsx,
    /// The written report to file (Word).
    Docx,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Role {
    Admin,
    Enumerator,
    Analyst,
}

impl From<Role> for sipas_shared::model::auth::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => Self::Admin,
            Role::Enumerator => Self::Enumerator,
            Role::Analyst => Self::Analyst,
        }
    }
}

/// `--trust-proxy`'s value: a number of proxies, or `true`/`false` as the
/// flag was once written (`SIPAS_TRUST_PROXY=true`).
fn proxy_hops(text: &str) -> Result<usize, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Ok(1),
        "false" | "no" | "off" | "" => Ok(0),
        n => n.parse::<usize>().map_err(|_| format!("«{text}»: cần số proxy đứng trước dịch vụ (ví dụ 1 hoặc 2)")),
    }
}
